// The series history and last-value requests select, held per endpoint: the same as looked up in
// ClickHouse (held, and too many to hold), late by at most its time to live, bounded in rows.
import { fingerprint, type Store } from '@peregrine/common'
import { openTestStore, type TempDir, tempDir } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { MAX_SERIES_PER_QUERY, seriesOfMetrics } from '../src/queries.ts'
import { type CatalogLimits, SeriesCatalog } from '../src/series-catalog.ts'

let dir: TempDir
let store: Store
const now = Math.floor(Date.now() / 1000)

const row = (endpoint: string, metric: string, tags: string) =>
  `${fingerprint({ endpoint, metric, tags })}\t${endpoint}\t${metric}\t${tags}\tGAUGE\t10\t${now}\n`
const addSeries = (rows: string[]) =>
  store.insertTsv(
    'series',
    ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
    rows.join(''),
  )

/** a-1 … a-4 with 3 metrics of 2 tag sets each; `wide` with 12 series (too many below). */
const ENDPOINTS = ['a-1', 'a-2', 'a-3', 'a-4']
const METRICS = ['m.x', 'm.y', 'm.z']

beforeAll(async () => {
  dir = await tempDir()
  store = await openTestStore(dir.path)
  await addSeries(
    ENDPOINTS.flatMap((e) => METRICS.flatMap((m) => [row(e, m, 'k=1,z=a'), row(e, m, 'k=2,z=a')])),
  )
  await addSeries(Array.from({ length: 12 }, (_, i) => row('wide', METRICS[i % 3]!, `i=${i % 4},k=${i % 2}`)))
})

afterAll(async () => {
  await store?.close()
  await dir?.remove()
})

const limits = (o: Partial<CatalogLimits> = {}): CatalogLimits => ({
  ttlMs: 1000,
  perEndpoint: 10,
  rows: 1000,
  ...o,
})
const names = (rows: { endpoint: string; metric: string; tags: string }[]) =>
  rows.map((r) => `${r.endpoint} ${r.metric} ${r.tags}`)

describe('series catalog', () => {
  it('answers what ClickHouse answers, for endpoints held and endpoints with too many series', async () => {
    const catalog = new SeriesCatalog(store, limits())
    const asks: [string[], string[], string][] = [
      [['a-1'], ['m.x'], ''],
      [['a-2', 'a-1'], ['m.y', 'm.x'], 'k=2'],
      [['wide'], ['m.x'], ''],
      [['wide', 'a-3', 'nope'], ['m.z', 'm.x', 'nope'], 'k=1'],
      [['wide', 'a-4'], METRICS, 'z=a,k=1'],
      [['wide'], METRICS, 'i=1'],
      [['a-1'], ['m.x'], 'k=3'],
    ]
    for (const [endpoints, metrics, tags] of asks) {
      const sql = await seriesOfMetrics(store, { endpoints, metrics, tags, limit: MAX_SERIES_PER_QUERY })
      expect(sql.length, `${endpoints} ${metrics} ${tags}`).toBeLessThan(20)
      expect(await catalog.matching(endpoints, metrics, tags)).toEqual(sql)
    }
  })

  it('holds an endpoint for its time to live: a new series of it shows then, a new endpoint at once', async () => {
    let clock = 0
    const catalog = new SeriesCatalog(store, limits({ ttlMs: 1000 }), () => clock)
    const ask = () => catalog.matching(['a-1', 'late-1'], ['m.new'], '')
    expect(await ask()).toEqual([])
    expect(await catalog.matching(['a-1'], ['m.x'], '')).toHaveLength(2)
    await addSeries([row('a-1', 'm.new', ''), row('late-1', 'm.new', '')])
    expect(names(await ask())).toEqual(['late-1 m.new '])
    clock = 999
    expect(names(await ask())).toEqual(['late-1 m.new '])
    clock = 1000
    expect(names(await ask())).toEqual(['a-1 m.new ', 'late-1 m.new '])
  })

  it('loads the endpoints of one request in one query, and shares a load under way', async () => {
    const catalog = new SeriesCatalog(store, limits())
    const queries = vi.spyOn(store, 'query')
    try {
      const answers = await Promise.all([
        catalog.matching(['a-1', 'a-2', 'a-3'], ['m.x'], ''),
        catalog.matching(['a-2', 'a-1'], ['m.y'], ''),
      ])
      expect(answers.map((a) => a.length)).toEqual([6, 4])
      expect(queries).toHaveBeenCalledTimes(1)
      await catalog.matching(['a-3', 'a-1'], METRICS, 'k=1')
      expect(queries).toHaveBeenCalledTimes(1)
    } finally {
      queries.mockRestore()
    }
  })

  it('holds at most its rows, letting the least recently used endpoints go', async () => {
    // Six series an endpoint (a-1 has more by now): room for two.
    const catalog = new SeriesCatalog(store, limits({ rows: 12 }))
    const queries = vi.spyOn(store, 'query')
    const ask = async (endpoint: string) => {
      const before = queries.mock.calls.length
      expect(await catalog.matching([endpoint], ['m.x'], '')).toHaveLength(2)
      return queries.mock.calls.length - before
    }
    try {
      expect(await ask('a-2')).toBe(1)
      expect(await ask('a-3')).toBe(1)
      expect(await ask('a-2')).toBe(0)
      expect(await ask('a-4')).toBe(1)
      // a-3 was used least recently: it went.
      expect(await ask('a-2')).toBe(0)
      expect(await ask('a-3')).toBe(1)
      // …and so did a-4, to make room for it; a-2, used since, stayed.
      expect(await ask('a-2')).toBe(0)
      expect(await ask('a-4')).toBe(1)
    } finally {
      queries.mockRestore()
    }
  })
})
