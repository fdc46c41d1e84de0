import { describe, expect, it } from 'vitest'
import { Evaluator, evaluatePoints, type JudgeEvent } from '../src/judge/index.ts'
import { brief, points, strategy } from './judge-helpers.ts'

const series = (endpoint: string, metric: string, tags = '') =>
  ({ endpoint, metric, tags, counterType: 'GAUGE', step: 60 }) as const
const load = { metric: 'load.1min', fn: 'all', window: '#1', threshold: 4 }

describe('compound conditions', () => {
  it('and: events on the primary series; a point on a secondary series flips the verdict', () => {
    const ev = new Evaluator()
    const list = [strategy({ also: [load] })]
    const cpu = ev.series(series('h1', 'cpu.busy'))
    const ld = ev.series(series('h1', 'load.1min'))
    const out: JudgeEvent[] = []
    ev.add(ld, 0, 5, list, out) // load true, cpu unknown: no verdict
    ev.add(cpu, 0, 50, list, out) // cpu false: false
    ev.add(cpu, 60, 95, list, out) // both true: PROBLEM
    ev.add(ld, 120, 1, list, out) // load false: OK, raised by the load point, on the cpu key
    ev.add(ld, 180, 6, list, out) // true again
    expect(brief(out)).toEqual(['60 PROBLEM 1 95', '120 OK 1 95', '180 PROBLEM 1 95'])
    expect(new Set(out.map((e) => `${e.endpoint} ${e.metric}`))).toEqual(new Set(['h1 cpu.busy']))
  })
  it('or: either condition raises it; both false recovers', () => {
    const ev = new Evaluator()
    const list = [strategy({ also: [load], combine: 'or' })]
    const cpu = ev.series(series('h1', 'cpu.busy'))
    const ld = ev.series(series('h1', 'load.1min'))
    const out: JudgeEvent[] = []
    ev.add(cpu, 0, 50, list, out) // false or unknown: no verdict
    ev.add(ld, 0, 5, list, out) // load true: PROBLEM, reported value the cpu's
    ev.add(ld, 60, 1, list, out) // false or false: OK
    ev.add(cpu, 120, 95, list, out) // true
    expect(brief(out)).toEqual(['0 PROBLEM 1 50', '60 OK 1 50', '120 PROBLEM 1 95'])
  })
  it('an extra condition holds when any series of the endpoint it selects satisfies it', () => {
    const ev = new Evaluator()
    const full = { metric: 'df.used', tags: 'fs=ext4', fn: 'all', window: '#1', threshold: 90 }
    const list = [strategy({ also: [full] })]
    const cpu = ev.series(series('h1', 'cpu.busy'))
    const root = ev.series(series('h1', 'df.used', 'fs=ext4,mount=/'))
    const data = ev.series(series('h1', 'df.used', 'fs=ext4,mount=/data'))
    const tmp = ev.series(series('h1', 'df.used', 'fs=tmpfs,mount=/tmp'))
    const out: JudgeEvent[] = []
    ev.add(root, 0, 10, list, out)
    ev.add(data, 0, 95, list, out)
    ev.add(cpu, 0, 95, list, out)
    expect(brief(out)).toEqual(['0 PROBLEM 1 95'])
    ev.add(data, 60, 10, list, out) // no ext4 disk full any more
    ev.add(tmp, 60, 99, list, out) // not selected (tags)
    expect(brief(out)).toEqual(['0 PROBLEM 1 95', '60 OK 1 95'])
  })
  it('only series of the same endpoint count', () => {
    const ev = new Evaluator()
    const list = [strategy({ also: [load] })]
    const out: JudgeEvent[] = []
    ev.add(ev.series(series('h2', 'load.1min')), 0, 9, list, out)
    ev.add(ev.series(series('h1', 'cpu.busy')), 0, 95, list, out)
    expect(out).toEqual([])
  })
  it('a strategy whose metric appears in its own extra condition binds the series in both roles', () => {
    const ev = new Evaluator()
    const list = [
      strategy({ threshold: 50, also: [{ metric: 'cpu.busy', fn: 'max', window: '#2', threshold: 90 }] }),
    ]
    const cpu = ev.series(series('h1', 'cpu.busy'))
    const out: JudgeEvent[] = []
    ev.add(cpu, 0, 95, list, out) // max(#2) unknown yet
    ev.add(cpu, 60, 60, list, out) // > 50 and max(95, 60) > 90
    ev.add(cpu, 120, 60, list, out) // > 50 but max(60, 60) is not: OK on this very point
    expect(brief(out)).toEqual(['60 PROBLEM 1 60', '120 OK 1 60'])
  })
  it('takes both verdicts of one point before judging: exclusive conditions never fire together', () => {
    const ev = new Evaluator()
    const list = [
      strategy({
        operator: '<',
        threshold: 50,
        also: [{ metric: 'cpu.busy', fn: 'all', window: '#1', threshold: 90 }],
      }),
    ]
    const cpu = ev.series(series('h1', 'cpu.busy'))
    const out: JudgeEvent[] = []
    for (const [t, v] of [
      [0, 95],
      [60, 10],
      [120, 95],
      [180, 10],
    ] as const)
      ev.add(cpu, t, v, list, out)
    expect(out).toEqual([])
  })
  it('evaluatePoints takes the extra series in `also`, merged by time', () => {
    const r = evaluatePoints(
      strategy({ also: [load] }),
      { counterType: 'GAUGE', step: 60 },
      points([0, 95], [60, 95], [120, 95]),
      { also: [{ counterType: 'GAUGE', step: 60, points: points([60, 5], [120, 1]) }] },
    )
    expect(brief(r.events)).toEqual(['60 PROBLEM 1 95', '120 OK 1 95'])
  })
})

describe('evaluatePoints with several series per extra condition', () => {
  it('entries name their condition; any selected series satisfying it counts', () => {
    const full = { metric: 'df.used', fn: 'all', window: '#1', threshold: 90 }
    const r = evaluatePoints(
      strategy({ also: [load, full] }),
      { counterType: 'GAUGE', step: 60 },
      points([0, 95], [60, 95], [120, 95], [180, 95]),
      {
        also: [
          { condition: 0, counterType: 'GAUGE', step: 60, points: points([0, 5], [180, 5]) },
          { condition: 1, counterType: 'GAUGE', step: 60, tags: 'mount=/', points: points([0, 10]) },
          {
            condition: 1,
            counterType: 'GAUGE',
            step: 60,
            tags: 'mount=/data',
            points: points([60, 95], [120, 10]),
          },
        ],
      },
    )
    // 0: /data unknown, / false → false. 60: /data full → PROBLEM. 120: no disk full → OK.
    expect(brief(r.events)).toEqual(['60 PROBLEM 1 95', '120 OK 1 95'])
  })
})
