import { describe, expect, it } from 'vitest'
import { DEFAULT_FLAPPING, evaluatePoints } from '../src/judge/index.ts'
import { brief, points, strategy } from './judge-helpers.ts'

const GAUGE = { counterType: 'GAUGE', step: 60 } as const
/** 95 and 10 alternating every minute from 0 to `until`, then 95 until `end`. */
function flapThenSteady(until: number, end: number): [number, number][] {
  const out: [number, number][] = []
  for (let t = 0; t <= end; t += 60) out.push([t, t <= until && (t / 60) % 2 === 1 ? 10 : 95])
  return out
}

describe('flapping', () => {
  it('defaults to more than 5 changes in 10 minutes', () => {
    expect(DEFAULT_FLAPPING).toEqual({ changes: 5, windowSeconds: 600 })
  })
  it('enters with one event marked flapping, stays quiet, leaves with one event saying the status now', () => {
    const r = evaluatePoints(
      strategy({ minIntervalSeconds: 0, maxNotifications: 1 }),
      GAUGE,
      points(...flapThenSteady(420, 1200)),
    )
    expect(brief(r.events)).toEqual([
      // changes at 0, 60, 120, 180, 240: five, sent as usual
      '0 PROBLEM 1 95',
      '60 OK 1 10',
      '120 PROBLEM 1 95',
      '180 OK 1 10',
      '240 PROBLEM 1 95',
      // the sixth change within 10 minutes: flapping, said once
      '300 OK 1 10 flapping=true',
      // changes at 360, 420 and 480 are counted, not sent; steady PROBLEM from 480 on.
      // (180, 780] still holds five changes (240 … 480); (240, 840] holds four: calm at 840
      '840 PROBLEM 1 95 flapping=false',
    ])
  })
  it('can be tuned or turned off', () => {
    const pts = points(...flapThenSteady(420, 600))
    const off = evaluatePoints(strategy({ maxNotifications: 1 }), GAUGE, pts, { flapping: false })
    expect(off.events.filter((e) => e.flapping !== undefined)).toEqual([])
    expect(off.events).toHaveLength(9)
    const tight = evaluatePoints(
      strategy({ maxNotifications: 1 }),
      GAUGE,
      points(...flapThenSteady(420, 780)),
      {
        flapping: { changes: 2, windowSeconds: 300 },
      },
    )
    expect(brief(tight.events)).toEqual([
      '0 PROBLEM 1 95',
      '60 OK 1 10',
      '120 PROBLEM 1 95 flapping=true',
      // the last changes: 420, 480; (420, 720] holds one
      '720 PROBLEM 1 95 flapping=false',
    ])
  })
  it('a quiet flapping key does not repeat its PROBLEM; after leaving it repeats as usual', () => {
    const r = evaluatePoints(
      strategy({ minIntervalSeconds: 60, maxNotifications: 3 }),
      GAUGE,
      points(...flapThenSteady(420, 960)),
    )
    expect(brief(r.events).slice(5)).toEqual([
      '300 OK 1 10 flapping=true',
      '840 PROBLEM 1 95 flapping=false',
      '900 PROBLEM 2 95',
      '960 PROBLEM 3 95',
    ])
  })
})
