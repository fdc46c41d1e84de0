import { describe, expect, it } from 'vitest'
import { Evaluator, evaluatePoints, type JudgeEvent } from '../src/judge/index.ts'
import { brief, points, strategy } from './judge-helpers.ts'

const def = { endpoint: 'h1', metric: 'cpu.busy', tags: '', counterType: 'GAUGE' as const, step: 60 }

describe('nodata', () => {
  it('fires once when a series has had no point for longer than Δ, stamped when the data was due', () => {
    const ev = new Evaluator()
    const list = [strategy({ nodata: '3m', threshold: 1000 })]
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    for (const t of [0, 60, 120]) ev.add(s, t, 5, list, out)
    ev.checkNodata(300, out) // 180 s since 120: not longer than Δ
    expect(out).toEqual([])
    ev.checkNodata(301, out)
    expect(brief(out)).toEqual(['300 PROBLEM 1 null nodata'])
    ev.checkNodata(302, out)
    ev.checkNodata(10_000, out)
    expect(out).toHaveLength(1)
    ev.add(s, 10_020, 5, list, out)
    expect(brief(out.slice(1))).toEqual(['10020 OK 1 null nodata'])
    expect(out.map((e) => e.kind)).toEqual(['nodata', 'nodata'])
    // data flows again: nothing more, and a new gap fires again
    ev.checkNodata(10_100, out)
    expect(out).toHaveLength(2)
    ev.checkNodata(10_201, out)
    expect(brief(out.slice(2))).toEqual(['10200 PROBLEM 1 null nodata'])
  })
  it('is never read as a recovery of the value condition, whose state it leaves alone', () => {
    const ev = new Evaluator()
    const list = [strategy({ nodata: '3m', minIntervalSeconds: 60 })]
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    ev.add(s, 0, 95, list, out)
    ev.checkNodata(1000, out)
    ev.add(s, 1020, 95, list, out) // still true: no value OK, and the value PROBLEM repeats as usual
    ev.add(s, 1080, 10, list, out)
    expect(brief(out)).toEqual([
      '0 PROBLEM 1 95',
      '180 PROBLEM 1 null nodata',
      '1020 OK 1 null nodata',
      '1020 PROBLEM 2 95',
      '1080 OK 1 10',
    ])
  })
  it('does not fire for disabled strategies, maxNotifications 0, or strategies without nodata', () => {
    for (const fields of [{ enabled: false }, { maxNotifications: 0 }, {}]) {
      const ev = new Evaluator()
      const s = ev.series(def)
      const out: JudgeEvent[] = []
      ev.add(s, 0, 5, [strategy({ nodata: '3m', ...fields })], out)
      if (!('nodata' in fields)) ev.add(s, 60, 5, [strategy(fields)], out)
      ev.checkNodata(10_000, out)
      expect(out).toEqual([])
    }
  })
  it('waits for the active window', () => {
    const ev = new Evaluator()
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    const list = [strategy({ nodata: '3m', activeWindow: { from: '01:00', to: '02:00' } })]
    ev.add(s, 0, 5, list, out)
    ev.checkNodata(3000, out)
    expect(out).toEqual([])
    ev.checkNodata(3600, out)
    expect(brief(out)).toEqual(['180 PROBLEM 1 null nodata'])
  })
  it('evaluatePoints raises it between points and up to `until`', () => {
    const r = evaluatePoints(
      strategy({ nodata: '2m', threshold: 1000 }),
      { counterType: 'GAUGE', step: 60 },
      points([0, 1], [60, 1], [180, 1], [400, 1]),
      { until: 1000 },
    )
    // 60 → 180 is 120 s: not longer than 2m; 180 → 400 is; 400 → 1000 too
    expect(brief(r.events)).toEqual([
      '300 PROBLEM 1 null nodata',
      '360 OK 1 null nodata',
      '480 PROBLEM 1 null nodata',
    ])
  })
})
