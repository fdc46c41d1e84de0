// The exact text of history answers on a small data set with gaps, a COUNTER reset, a DERIVE going
// down, points stored twice (merges stopped, so the copies stay apart) and a series with no point in
// range, against values worked out by hand: the answer the API gave before its big-answer path
// (one row per series with arrays, its own serializer) and must still give, byte for byte.
import { fingerprint, HistoryResponse } from '@peregrine/common'
import { rollAllSamples } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
const now = Math.floor(Date.now() / 1000)
/** Two hours ago on a whole hour: every minute of the data is whole and inside raw retention. */
const T = Math.floor(now / 3600) * 3600 - 7200

const ENDPOINT = 'edge-h'
const METRIC = 'm'
interface Def {
  tags: string
  counterType: 'GAUGE' | 'COUNTER' | 'DERIVE'
  /** Offset from T (seconds) → value. */
  points: [number, number][]
  /** Offsets sent a second time, in a part of their own. */
  twice: number[]
}
// Minute 0 holds 10, 20 (sent twice), 30: the same average whether the copy counts once (raw) or
// twice (the rollup, fed at insert): 20. Offsets 30–50 and minute 2 have no points (gaps).
const gauge: Def = {
  tags: 'k=a',
  counterType: 'GAUGE',
  points: [
    [0, 10],
    [10, 20],
    [20, 30],
    [60, 1.5],
    [70, 2.5],
    [80, 2],
    [90, 3],
    [100, 2],
    [110, 4],
    [180, 7],
    [190, 8],
  ],
  twice: [10],
}
// Totals with a gap (40–50), a restart at 70 and a copy of the point at 20.
const totals: [number, number][] = [
  [0, 100],
  [10, 200],
  [20, 400],
  [30, 700],
  [60, 1300],
  [70, 50],
  [80, 150],
  [90, 350],
  [120, 590],
  [180, 1190],
]
const counter: Def = { tags: 'k=b', counterType: 'COUNTER', points: totals, twice: [20] }
const derive: Def = { tags: 'k=c', counterType: 'DERIVE', points: totals, twice: [20] }
/** Its only point is long before every range asked for. */
const silent: Def = { tags: 'k=d', counterType: 'GAUGE', points: [[-7200, 1]], twice: [] }
const DEFS = [gauge, counter, derive, silent]
const fp = (d: Def) => fingerprint({ endpoint: ENDPOINT, metric: METRIC, tags: d.tags })
const rows = (d: Def, only?: number[]) =>
  d.points
    .filter(([o]) => only === undefined || only.includes(o))
    .map(([o, v]) => `${fp(d)}\t${T + o}\t${v}\t${d.counterType === 'GAUGE' ? 0 : 1}\n`)
    .join('')

beforeAll(async () => {
  api = await startTestApi({
    seed: async (store) => {
      await store.insertTsv(
        'series',
        ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
        DEFS.map((d) => `${fp(d)}\t${ENDPOINT}\t${METRIC}\t${d.tags}\t${d.counterType}\t10\t${now}\n`).join(
          '',
        ),
      )
      // A merge would fold the copies at any moment; the answer must not depend on it.
      await store.command('SYSTEM STOP MERGES samples')
      for (const d of DEFS) await store.insertTsv('samples', ['fp', 'ts', 'input', 'counter'], rows(d))
      for (const d of DEFS)
        await store.insertTsv('samples', ['fp', 'ts', 'input', 'counter'], rows(d, d.twice))
      await rollAllSamples(store)
    },
  })
})

afterAll(() => api?.dispose())

/** Asks for the history of `q` and checks the answer's text, exactly as sent: the range, then `series`. */
async function expectAnswer(q: { from: number; to: number; step: number; tags?: string }, series: object[]) {
  const query = new URLSearchParams({ endpoint: ENDPOINT, metric: METRIC, tags: q.tags ?? '' })
  for (const k of ['from', 'to', 'step'] as const) query.set(k, String(q[k]))
  const res = await api.app.inject({
    method: 'GET',
    url: `/api/v1/history?${query}`,
    headers: { authorization: `Bearer ${api.admin}` },
  })
  expect(res.statusCode).toBe(200)
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
  expect(res.body).toBe(JSON.stringify({ from: q.from, to: q.to, series }))
  // Sent without the schema's check: what was sent must pass it all the same.
  expect(HistoryResponse.safeParse(JSON.parse(res.body)).success).toBe(true)
}

const head = (d: Def, resolution: string, interval: number) => ({
  endpoint: ENDPOINT,
  metric: METRIC,
  tags: d.tags,
  counterType: d.counterType,
  step: 10,
  resolution,
  interval,
})
/** Offsets from T as timestamps. */
const at = (...offsets: number[]) => offsets.map((o) => T + o)
const range = { from: T, to: T + 190 }

describe('history answers, byte for byte', () => {
  it('raw at the native step: each point once, gaps left out, rates between points', async () => {
    await expectAnswer({ ...range, step: 10 }, [
      {
        ...head(gauge, 'raw', 10),
        timestamps: at(0, 10, 20, 60, 70, 80, 90, 100, 110, 180, 190),
        values: [10, 20, 30, 1.5, 2.5, 2, 3, 2, 4, 7, 8],
      },
      // 700 → 1300 over the 30 s gap: 20/s; the restart at 70 gives no rate.
      {
        ...head(counter, 'raw', 10),
        timestamps: at(10, 20, 30, 60, 80, 90, 120, 180),
        values: [10, 20, 30, 20, 10, 20, 8, 10],
      },
      {
        ...head(derive, 'raw', 10),
        timestamps: at(10, 20, 30, 60, 70, 80, 90, 120, 180),
        values: [10, 20, 30, 20, -125, 10, 20, 8, 10],
      },
      { ...head(silent, 'raw', 10), timestamps: [], values: [] },
    ])
  })

  it('raw in 30 s buckets: average, min and max; rates between the buckets’ newest points', async () => {
    await expectAnswer({ ...range, step: 30 }, [
      {
        ...head(gauge, 'raw', 30),
        timestamps: at(0, 60, 90, 180),
        values: [20, 2, 3, 7.5],
        min: [10, 1.5, 2, 7],
        max: [30, 2.5, 4, 8],
      },
      // Newest points: 400 @20, 700 @30, 150 @80, 350 @90, 590 @120, 1190 @180. 700 → 150 is a
      // restart for a COUNTER and -11/s for a DERIVE.
      { ...head(counter, 'raw', 30), timestamps: at(30, 90, 120, 180), values: [30, 20, 8, 10] },
      { ...head(derive, 'raw', 30), timestamps: at(30, 60, 90, 120, 180), values: [30, -11, 20, 8, 10] },
      { ...head(silent, 'raw', 30), timestamps: [], values: [], min: [], max: [] },
    ])
  })

  it('from the 1-minute rollup: sum / count, min, max; rates over the bucket distance', async () => {
    await expectAnswer({ ...range, step: 60 }, [
      {
        ...head(gauge, '1m', 60),
        timestamps: at(0, 60, 180),
        values: [20, 2.5, 7.5],
        min: [10, 1.5, 7],
        max: [30, 4, 8],
      },
      // Last values per minute: 700, 350, 590, 1190.
      { ...head(counter, '1m', 60), timestamps: at(120, 180), values: [4, 10] },
      { ...head(derive, '1m', 60), timestamps: at(60, 120, 180), values: [-350 / 60, 4, 10] },
      { ...head(silent, '1m', 60), timestamps: [], values: [], min: [], max: [] },
    ])
  })

  it('a gauge alone reads from `from`, and a range cut short cuts its bucket', async () => {
    await expectAnswer({ tags: 'k=a', from: T + 20, to: T + 70, step: 30 }, [
      { ...head(gauge, 'raw', 30), timestamps: at(0, 60), values: [30, 2], min: [30, 1.5], max: [30, 2.5] },
    ])
  })

  it('is still described whole in the OpenAPI document, though not checked against it', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })
    const ok = res.json().paths['/api/v1/history'].get.responses['200'].content['application/json']
    const fields = ok.schema.properties.series.items.properties
    expect(fields.timestamps).toEqual({ type: 'array', items: { type: 'number' } })
    for (const name of ['values', 'min', 'max'])
      expect(fields[name]).toEqual({ type: 'array', items: { type: ['number', 'null'] } })
  })
})
