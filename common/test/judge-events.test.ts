import { describe, expect, it } from 'vitest'
import { type EvaluatedSeries, evaluatePoints, eventId, ZoneClock } from '../src/judge/index.ts'
import { brief, points, strategy } from './judge-helpers.ts'

const GAUGE: EvaluatedSeries = { counterType: 'GAUGE', step: 60 }
const run = (fields: Record<string, unknown>, pts: [number, number][], options = {}) =>
  brief(evaluatePoints(strategy(fields), GAUGE, points(...pts), options).events)
/** A value at every step from `from` to `to` (inclusive). */
const every = (from: number, to: number, value: number): [number, number][] =>
  Array.from({ length: (to - from) / 60 + 1 }, (_, i) => [from + i * 60, value])

describe('events (SEMANTICS "Events")', () => {
  it('PROBLEM step 1, repeated with step + 1 every minimum interval up to maxNotifications, then OK step 1', () => {
    expect(
      run({ maxNotifications: 3, minIntervalSeconds: 300 }, [...every(0, 1200, 95), [1260, 10]]),
    ).toEqual(['0 PROBLEM 1 95', '300 PROBLEM 2 95', '600 PROBLEM 3 95', '1260 OK 1 10'])
  })
  it('maxNotifications 0: never a PROBLEM, so never an OK either', () => {
    expect(run({ maxNotifications: 0 }, [...every(0, 600, 95), [660, 10]])).toEqual([])
  })
  it('maxNotifications 1: one PROBLEM however long it lasts', () => {
    expect(run({ maxNotifications: 1, minIntervalSeconds: 0 }, every(0, 600, 95))).toEqual(['0 PROBLEM 1 95'])
  })
  it('minimum interval 0 repeats on every new point', () => {
    expect(run({ minIntervalSeconds: 0 }, every(0, 180, 95))).toEqual([
      '0 PROBLEM 1 95',
      '60 PROBLEM 2 95',
      '120 PROBLEM 3 95',
    ])
  })
  it('a repeated PROBLEM uses only points newer than the last event', () => {
    // all(#3): PROBLEM at 120 from 0, 60, 120; the window is all new again at 300 (180, 240, 300)
    expect(run({ window: '#3', minIntervalSeconds: 0 }, every(0, 300, 95))).toEqual([
      '120 PROBLEM 1 95',
      '300 PROBLEM 2 95',
    ])
  })
  it('for rates the older point of each rate counts too', () => {
    const counter = { counterType: 'COUNTER' as const, step: 60 }
    const pts = points(...Array.from({ length: 7 }, (_, i): [number, number] => [i * 60, i * 6000]))
    const events = evaluatePoints(strategy({ window: '#2', minIntervalSeconds: 0 }), counter, pts).events
    // rates stamped 60 … 360 (100/s); PROBLEM at 120 used points 0, 60, 120; next all-new window: 180, 240, 300
    expect(brief(events)).toEqual(['120 PROBLEM 1 100', '300 PROBLEM 2 100'])
  })
  it('OK only after a PROBLEM; a false condition without one says nothing', () => {
    expect(run({}, [...every(0, 120, 10), [180, 95], [240, 10], [300, 10]])).toEqual([
      '180 PROBLEM 1 95',
      '240 OK 1 10',
    ])
  })
  it('too few points: neither PROBLEM nor OK', () => {
    expect(
      run({ window: '#3' }, [
        [0, 95],
        [60, 95],
      ]),
    ).toEqual([])
  })
  it('ignores points not newer than the newest (stale, duplicate, out of order), aligning to the step', () => {
    const r = evaluatePoints(
      strategy({ minIntervalSeconds: 0 }),
      GAUGE,
      points([0, 10], [125, 95], [120, 10], [60, 10], [170, 10], [200, 95]),
    )
    // 125 → 120; 120 again and 60 are ignored; 170 → 120 is ignored too; 200 → 180
    expect(brief(r.events)).toEqual(['120 PROBLEM 1 95', '180 PROBLEM 2 95'])
    expect(r.ignored).toBe(3)
  })
  it('ids are deterministic and differ by key, status and time', () => {
    const a = evaluatePoints(strategy({ id: 'x' }), GAUGE, points([0, 95], [60, 10])).events
    const b = evaluatePoints(strategy({ id: 'x' }), GAUGE, points([0, 95], [60, 10])).events
    expect(a.map((e) => e.id)).toEqual(b.map((e) => e.id))
    expect(a[0]!.id).toBe(eventId('value', 'x', 'evaluate', 'cpu.busy', '', 'PROBLEM', 0))
    expect(a[0]!.id).toMatch(/^[0-9a-f]{16}$/)
    expect(
      new Set([a[0]!.id, a[1]!.id, eventId('value', 'y', 'evaluate', 'cpu.busy', '', 'PROBLEM', 0)]).size,
    ).toBe(3)
    expect(a[0]).toMatchObject({
      kind: 'value',
      strategy: 'x',
      priority: 3,
      endpoint: 'evaluate',
      metric: 'cpu.busy',
    })
  })
  it('disabled strategies are not evaluated', () => {
    expect(run({ enabled: false }, every(0, 300, 95))).toEqual([])
  })
})

describe('hold', () => {
  it('PROBLEM once the condition has been true, at every evaluation, for the hold (point time)', () => {
    expect(run({ hold: '2m' }, every(0, 180, 95))).toEqual(['120 PROBLEM 1 95'])
  })
  it('a false evaluation starts the wait again', () => {
    expect(
      run({ hold: '2m' }, [
        [0, 95],
        [60, 95],
        [120, 10],
        [180, 95],
        [240, 95],
        [300, 95],
      ]),
    ).toEqual(['300 PROBLEM 1 95'])
  })
  it('recovery is not held', () => {
    expect(
      run({ hold: '1m' }, [
        [0, 95],
        [60, 95],
        [120, 10],
      ]),
    ).toEqual(['60 PROBLEM 1 95', '120 OK 1 10'])
  })
})

describe('active windows', () => {
  const at = (iso: string) => Date.parse(iso) / 1000
  it('22:00–06:00 crosses midnight: from included, to excluded (UTC by default)', () => {
    const w = { activeWindow: { from: '22:00', to: '06:00' }, minIntervalSeconds: 0 }
    const pts: [number, number][] = [
      [at('2024-01-15T21:59:00Z'), 95],
      [at('2024-01-15T22:00:00Z'), 95],
      [at('2024-01-16T05:59:00Z'), 95],
      [at('2024-01-16T06:00:00Z'), 10],
      [at('2024-01-16T12:00:00Z'), 10],
    ]
    const events = evaluatePoints(strategy(w), GAUGE, points(...pts)).events
    expect(events.map((e) => [new Date(e.timestamp * 1000).toISOString(), e.status, e.step])).toEqual([
      ['2024-01-15T22:00:00.000Z', 'PROBLEM', 1],
      ['2024-01-16T05:59:00.000Z', 'PROBLEM', 2],
    ])
  })
  it('08:00–20:00 in a time zone given to the evaluator', () => {
    const w = { activeWindow: { from: '08:00', to: '20:00' } }
    // Berlin is UTC+1 in January: 07:00Z is 08:00 there
    const pts = points([at('2024-01-15T06:59:00Z'), 95], [at('2024-01-15T07:00:00Z'), 95])
    const utc = evaluatePoints(strategy(w), GAUGE, pts).events
    const berlin = evaluatePoints(strategy(w), GAUGE, pts, { timeZone: 'Europe/Berlin' }).events
    expect(utc).toEqual([])
    expect(berlin.map((e) => e.timestamp)).toEqual([at('2024-01-15T07:00:00Z')])
  })
  it('outside the window a pending hold is forgotten', () => {
    const w = { activeWindow: { from: '00:00', to: '00:02' }, hold: '3m' }
    // true at 00:00 and 00:01; 00:02 is outside, so the hold starts again the next day at 00:00
    expect(
      run(w, [
        [0, 95],
        [60, 95],
        [120, 95],
        [86_400, 95],
        [86_460, 95],
      ]),
    ).toEqual([])
    // without a point outside the window, the condition was true at every evaluation since 00:00
    expect(
      run(w, [
        [0, 95],
        [60, 95],
        [86_400, 95],
      ]),
    ).toEqual(['86400 PROBLEM 1 95'])
  })
  it('reads local time across daylight saving changes, with an exact offset inside the changing hour', () => {
    const clock = new ZoneClock('Europe/Berlin')
    // 2024-03-31 01:00:00Z: 02:00 CET becomes 03:00 CEST
    expect(clock.minuteOfDay(at('2024-03-31T00:59:59Z'))).toBe(1 * 60 + 59)
    expect(clock.minuteOfDay(at('2024-03-31T01:00:00Z'))).toBe(3 * 60)
    expect(clock.minuteOfDay(at('2024-03-31T00:30:00Z'))).toBe(1 * 60 + 30)
    // 2024-10-27 01:00:00Z: 03:00 CEST becomes 02:00 CET
    expect(clock.minuteOfDay(at('2024-10-27T00:59:00Z'))).toBe(2 * 60 + 59)
    expect(clock.minuteOfDay(at('2024-10-27T01:00:00Z'))).toBe(2 * 60)
    expect(new ZoneClock('Asia/Kolkata').minuteOfDay(at('2024-01-15T00:00:00Z'))).toBe(5 * 60 + 30)
    expect(() => new ZoneClock('Mars/Olympus')).toThrow(RangeError)
  })
})

describe('evaluatePoints from', () => {
  it('points before `from` only fill the window: the first verdict comes at `from`', () => {
    const pts = every(0, 300, 95)
    // all(#3) > 90 from 0: PROBLEM at 120, the third point.
    expect(run({ window: '#3' }, pts)).toEqual(['120 PROBLEM 1 95'])
    // From 180, the window is already full of the earlier points: PROBLEM at 180, not 300.
    expect(run({ window: '#3' }, pts, { from: 180 })).toEqual(['180 PROBLEM 1 95'])
    // A duration window needs the whole window seen: 2m at 60 s from 120 on, with points from 0.
    expect(run({ fn: 'avg', window: '2m' }, pts, { from: 150 })).toEqual(['180 PROBLEM 1 95'])
  })
  it('raises no no-data event for a gap before `from`, only for one reaching past it', () => {
    const pts: [number, number][] = [
      [0, 1],
      [600, 1],
      [660, 1],
      [1200, 1],
    ]
    expect(run({ nodata: '3m', threshold: 1000 }, pts, { from: 660 })).toEqual([
      '840 PROBLEM 1 null nodata',
      '1200 OK 1 null nodata',
    ])
  })
})
