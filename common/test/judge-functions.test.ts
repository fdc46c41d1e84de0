import { describe, expect, it } from 'vitest'
import { OP } from '../src/judge/conditions.ts'
import { type EvaluatedSeries, evaluatePoints, satisfies } from '../src/judge/index.ts'
import { points, strategy } from './judge-helpers.ts'

const GAUGE: EvaluatedSeries = { counterType: 'GAUGE', step: 60 }

/** The last verdict taken on the points (oldest first, a minute apart): [truth, value]. */
function last(fields: Record<string, unknown>, values: number[], series = GAUGE) {
  const pts = points(...values.map((v, i): [number, number] => [i * 60, v]))
  const r = evaluatePoints(strategy(fields), series, pts, { verdicts: true })
  const v = r.verdicts!.at(-1)
  return v === undefined || v.truth === null ? 'no verdict taken' : [v.truth, v.value]
}

describe('operators', () => {
  it('compares == and != with a tolerance of 0.0001, the others exactly', () => {
    expect(satisfies(1.00005, OP['=='], 1)).toBe(true)
    expect(satisfies(0.99995, OP['=='], 1)).toBe(true)
    expect(satisfies(1.0002, OP['=='], 1)).toBe(false)
    expect(satisfies(1.00005, OP['!='], 1)).toBe(false)
    expect(satisfies(1.0002, OP['!='], 1)).toBe(true)
    expect(satisfies(1.00005, OP['<='], 1)).toBe(false)
    expect(satisfies(1, OP['<='], 1)).toBe(true)
    expect(satisfies(1, OP['<'], 1)).toBe(false)
    expect(satisfies(1, OP['>='], 1)).toBe(true)
    expect(satisfies(1.00001, OP['>'], 1)).toBe(true)
  })
  it('averages equal values to exactly themselves (no float drift against ==)', () => {
    expect(last({ fn: 'avg', window: '#3', operator: '==', threshold: 0.1 }, [0.1, 0.1, 0.1])).toEqual([
      true,
      0.1,
    ])
    expect(last({ fn: 'avg', window: '#2', operator: '==', threshold: 0.15 }, [0.1, 0.2])).toEqual([
      true,
      0.15000000000000002,
    ])
  })
})

describe('functions over #N (newest last in these lists)', () => {
  it('all: every value satisfies; reports the newest', () => {
    expect(last({ window: '#3' }, [91, 95, 92])).toEqual([true, 92])
    expect(last({ window: '#3' }, [89, 95, 92])).toEqual([false, 92])
    expect(last({ window: '#3' }, [95, 92])).toBe('no verdict taken')
  })
  it('max, min, sum, avg compare the aggregate and report it', () => {
    expect(last({ fn: 'max', window: '#3' }, [10, 95, 20])).toEqual([true, 95])
    expect(last({ fn: 'max', window: '#2' }, [95, 10, 20])).toEqual([false, 20])
    expect(last({ fn: 'min', window: '#3', operator: '<', threshold: 5 }, [10, 3, 20])).toEqual([true, 3])
    expect(last({ fn: 'sum', window: '#3', threshold: 10 }, [3, 4, 5])).toEqual([true, 12])
    expect(last({ fn: 'sum', window: '#2', threshold: 10 }, [3, 4, 5])).toEqual([false, 9])
    expect(last({ fn: 'avg', window: '#4', operator: '>=', threshold: 4 }, [1, 2, 4, 9])).toEqual([true, 4])
    expect(last({ fn: 'avg', window: '#4' }, [1, 2, 3])).toBe('no verdict taken')
  })
  it('diff(#N): N+1 values; v0 - vi for i = 1..N; the first that satisfies, else the last computed', () => {
    // v0 = 10, v1 = 20, v2 = 3: 10 - 20 = -10, then 10 - 3 = 7 > 5
    expect(last({ fn: 'diff', window: '#2', threshold: 5 }, [3, 20, 10])).toEqual([true, 7])
    // v0 = 14, v1 = 20, v2 = 10: -6, 4: none > 5, reports 4
    expect(last({ fn: 'diff', window: '#2', threshold: 5 }, [10, 20, 14])).toEqual([false, 4])
    expect(last({ fn: 'diff', window: '#2', threshold: 5 }, [20, 14])).toBe('no verdict taken')
    expect(last({ fn: 'diff', window: '#1', operator: '<', threshold: -5 }, [20, 14])).toEqual([true, -6])
  })
  it('pdiff(#N): (v0 - vi) / vi * 100, skipping vi = 0', () => {
    expect(last({ fn: 'pdiff', window: '#1', threshold: 50 }, [10, 20])).toEqual([true, 100])
    // v0 = 16, v1 = 0 skipped, v2 = 10: 60 %
    expect(last({ fn: 'pdiff', window: '#2', threshold: 50 }, [10, 0, 16])).toEqual([true, 60])
    expect(last({ fn: 'pdiff', window: '#2', threshold: 50 }, [12, 0, 16])).toEqual([
      false,
      33.33333333333333,
    ])
    // every vi is 0: no percentage at all, false, no value
    expect(last({ fn: 'pdiff', window: '#1', threshold: 50 }, [0, 16])).toEqual([false, null])
  })
  it('lookup(#N) with hits M: at least M of the N newest satisfy; reports the newest', () => {
    expect(last({ fn: 'lookup', window: '#4', hits: 2 }, [95, 10, 96, 10])).toEqual([true, 10])
    expect(last({ fn: 'lookup', window: '#4', hits: 2 }, [95, 10, 10, 10])).toEqual([false, 10])
    expect(last({ fn: 'lookup', window: '#4', hits: 2 }, [95, 96, 10])).toBe('no verdict taken')
  })
  it('stddev(#N) = k: v0 outside mean ± k·σ (population σ, v0 included); the operator is ignored', () => {
    // 10 10 10 10 30: mean 14, σ = sqrt((4·16 + 256) / 5) = 8; 14 + 2·8 = 30 is not outside
    expect(last({ fn: 'stddev', window: '#5', threshold: 2 }, [10, 10, 10, 10, 30])).toEqual([false, 30])
    expect(last({ fn: 'stddev', window: '#5', threshold: 1.9 }, [10, 10, 10, 10, 30])).toEqual([true, 30])
    expect(last({ fn: 'stddev', window: '#5', threshold: 1.9, operator: '<' }, [10, 10, 10, 10, 30])).toEqual(
      [true, 30],
    )
    // below the band too: mean 26, σ = 8, 26 - 1.9·8 = 10.8 > 10
    expect(last({ fn: 'stddev', window: '#5', threshold: 1.9 }, [30, 30, 30, 30, 10])).toEqual([true, 10])
    // a constant series is inside mean ± 0·σ
    expect(last({ fn: 'stddev', window: '#5', threshold: 0 }, [0.1, 0.1, 0.1, 0.1, 0.1])).toEqual([
      false,
      0.1,
    ])
  })
})

describe('COUNTER and DERIVE: rates before the function', () => {
  const COUNTER: EvaluatedSeries = { counterType: 'COUNTER', step: 60 }
  it('needs N+1 points for N rates, (v_i - v_i+1) / (t_i - t_i+1)', () => {
    // 100 160 280 340 a minute apart: rates 1, 2, 1
    expect(last({ fn: 'max', window: '#3', threshold: 1.5 }, [100, 160, 280, 340], COUNTER)).toEqual([
      true,
      2,
    ])
    expect(
      last({ fn: 'all', window: '#3', operator: '>=', threshold: 1 }, [100, 160, 280, 340], COUNTER),
    ).toEqual([true, 1])
    expect(last({ fn: 'max', window: '#3' }, [100, 160, 280], COUNTER)).toBe('no verdict taken')
  })
  it('a COUNTER that goes down was reset: that interval has no rate, as in rates.ts', () => {
    // 100 160 | 10 70 130: rates 1, (none), 1, 1
    const values = [100, 160, 10, 70, 130]
    expect(last({ window: '#3', operator: '==', threshold: 1 }, values, COUNTER)).toEqual([true, 1])
    expect(last({ window: '#3', operator: '==', threshold: 1 }, values.slice(0, 4), COUNTER)).toBe(
      'no verdict taken',
    )
  })
  it('a DERIVE may go down: negative rates', () => {
    const derive: EvaluatedSeries = { counterType: 'DERIVE', step: 60 }
    expect(last({ fn: 'min', operator: '<', threshold: 0 }, [100, 40], derive)).toEqual([true, -1])
  })
  it('uses the real interval between points, gaps included', () => {
    const pts = points([0, 0], [60, 60], [240, 120])
    const r = evaluatePoints(strategy({ threshold: 0 }), COUNTER, pts, { verdicts: true })
    expect(r.verdicts!.map((v) => v.value)).toEqual([1, 60 / 180])
  })
})

describe('duration windows', () => {
  it('see the values stamped in (newest - d, newest], once the series has been seen for the whole window', () => {
    const pts = points([0, 10], [60, 20], [120, 30], [180, 40], [240, 50], [300, 60])
    const r = evaluatePoints(strategy({ fn: 'avg', window: '5m', threshold: 0 }), GAUGE, pts, {
      verdicts: true,
    })
    // 5m at a 60 s step is 5 values: the first verdict at 240 (0 … 240), then 60 … 300
    expect(r.verdicts!.map((v) => [v.timestamp, v.truth, v.value])).toEqual([
      [0, null, null],
      [60, null, null],
      [120, null, null],
      [180, null, null],
      [240, true, 30],
      [300, true, 40],
    ])
  })
  it('count the values present: a missing point shortens the window, it does not stop it', () => {
    const pts = points([0, 10], [60, 20], [120, 30], [180, 40], [240, 50], [420, 80])
    const r = evaluatePoints(strategy({ fn: 'sum', window: '5m', threshold: 0 }), GAUGE, pts, {
      verdicts: true,
    })
    // at 420 the window (120, 420] holds 180, 240 and 420
    expect(r.verdicts!.at(-1)).toMatchObject({ timestamp: 420, value: 40 + 50 + 80 })
  })
  it('need two values for diff and pdiff, M for lookup', () => {
    const pts = points([0, 10], [600, 100], [660, 10])
    const diff = evaluatePoints(strategy({ fn: 'diff', window: '2m', threshold: 50 }), GAUGE, pts, {
      verdicts: true,
    })
    expect(diff.verdicts!.map((v) => v.truth)).toEqual([null, null, false])
    const lookup = evaluatePoints(
      strategy({ fn: 'lookup', window: '3m', hits: 2 }),
      GAUGE,
      points([0, 95], [60, 95]),
      {
        verdicts: true,
      },
    )
    expect(lookup.verdicts!.map((v) => v.truth)).toEqual([null, null])
  })
  it('a window shorter than the step is the newest value', () => {
    const r = evaluatePoints(strategy({ fn: 'max', window: '30s' }), GAUGE, points([0, 95]), {
      verdicts: true,
    })
    expect(r.verdicts!.map((v) => [v.truth, v.value])).toEqual([[true, 95]])
  })
  it('work on rates too', () => {
    const counter: EvaluatedSeries = { counterType: 'COUNTER', step: 60 }
    const pts = points([0, 0], [60, 60], [120, 180], [180, 300])
    const r = evaluatePoints(strategy({ fn: 'avg', window: '2m', threshold: 0 }), counter, pts, {
      verdicts: true,
    })
    // rates stamped 60 (1), 120 (2), 180 (2); 2m is covered from 120 on: (0, 120] → 1, 2
    expect(r.verdicts!.map((v) => v.value)).toEqual([null, 1.5, 2])
  })
})
