// history() reads small answers as sorted columns and big ones as arrays built per series in the
// query: both give the same answer, on data with gaps, points stored twice (merges stopped), a
// COUNTER restart, a DERIVE going down, a series with no point in range, raw and from rollups.
import { fingerprint, type Resolution, type Store } from '@peregrine/common'
import { openTestStore, rollAllSamples, type TempDir, tempDir } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { history, type SeriesRow, SORTED_COLUMNS_GROUPS, seriesOfMetric } from '../src/queries.ts'

let dir: TempDir
let store: Store
const now = Math.floor(Date.now() / 1000)
/** Three hours ago on a whole hour: every bucket below is inside the raw retention. */
const T = Math.floor(now / 3600) * 3600 - 3 * 3600
const N = 3 * 360

type Kind = 'GAUGE' | 'COUNTER' | 'DERIVE'
const KINDS: [tags: string, kind: Kind, value: (i: number) => number][] = [
  ['k=gauge', 'GAUGE', (i) => ((i * 37) % 101) / 4],
  ['k=counter', 'COUNTER', (i) => (i < 500 ? 1000 + i * 15 : (i - 500) * 7)],
  ['k=derive', 'DERIVE', (i) => 5000 + Math.round(Math.sin(i / 20) * 400)],
]
const fp = (tags: string) => fingerprint({ endpoint: 'shape', metric: 'm', tags })

beforeAll(async () => {
  dir = await tempDir()
  store = await openTestStore(dir.path)
  const series = [...KINDS.map(([tags, kind]) => [tags, kind]), ['k=silent', 'GAUGE']]
  await store.insertTsv(
    'series',
    ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
    series.map(([tags, kind]) => `${fp(tags!)}\tshape\tm\t${tags}\t${kind}\t10\t${now}\n`).join(''),
  )
  await store.command('SYSTEM STOP MERGES samples')
  const columns = ['fp', 'ts', 'input', 'counter']
  const rows = (keep: (i: number) => boolean) =>
    KINDS.flatMap(([tags, kind, value]) =>
      Array.from({ length: N }, (_, i) => i)
        .filter(keep)
        // A gap of ten minutes, and every 7th point two seconds late.
        .filter((i) => i < 400 || i >= 460)
        .map(
          (i) =>
            `${fp(tags)}\t${T + i * 10 + (i % 7 === 0 ? 2 : 0)}\t${value(i)}\t${kind === 'GAUGE' ? 0 : 1}\n`,
        ),
    ).join('')
  await store.insertTsv(
    'samples',
    columns,
    rows(() => true),
  )
  // Stored twice, in a part of its own.
  await store.insertTsv(
    'samples',
    columns,
    rows((i) => i % 5 === 0),
  )
  await store.insertTsv('samples', columns, `${fp('k=silent')}\t${T - 86_400}\t1\t0\n`)
  await rollAllSamples(store)
})

afterAll(async () => {
  await store?.close()
  await dir?.remove()
})

describe('history in either shape', () => {
  it('answers the same from sorted columns as from arrays built per series', async () => {
    const all = await seriesOfMetric(store, { endpoints: ['shape'], metric: 'm', tags: '', limit: 10 })
    expect(all).toHaveLength(4)
    const sets: SeriesRow[][] = [
      all,
      all.filter((s) => s.counter_type === 'GAUGE'),
      all.slice(0, 1),
      all.slice(1, 3),
    ]
    const asks: [Resolution, number, number, number][] = [
      ['raw', 10, T, T + 3 * 3600],
      ['raw', 30, T + 1234, T + 7000],
      ['raw', 10, T + 3990, T + 4700],
      ['1m', 60, T, T + 3 * 3600],
      ['1m', 300, T + 600, T + 9000],
      ['1h', 3600, T - 3600, T + 3 * 3600],
    ]
    let points = 0
    for (const series of sets)
      for (const [resolution, interval, from, to] of asks) {
        const q = { from, to, resolution, interval, now: Math.floor(Date.now() / 1000), unrolled: null }
        const columns = await history(store, series, q, Number.POSITIVE_INFINITY)
        expect(columns, JSON.stringify(q)).toEqual(await history(store, series, q, 0))
        points += columns.reduce((n, s) => n + s.timestamps.length, 0)
      }
    expect(points).toBeGreaterThan(5_000)
  })

  it('takes sorted columns up to the bound and arrays past it', async () => {
    const [gauge] = await seriesOfMetric(store, {
      endpoints: ['shape'],
      metric: 'm',
      tags: 'k=gauge',
      limit: 1,
    })
    const q = {
      from: T,
      to: T + 3 * 3600,
      resolution: 'raw' as const,
      interval: 10,
      now: Math.floor(Date.now() / 1000),
      unrolled: null,
    }
    const spies = { columns: vi.spyOn(store, 'columns'), arrays: vi.spyOn(store, 'query') }
    const shape = async (bound?: number) => {
      vi.clearAllMocks()
      await history(store, [gauge!], q, bound)
      return Object.entries(spies).flatMap(([name, spy]) => spy.mock.calls.map(() => name))
    }
    try {
      expect(await shape(N + 1)).toEqual(['columns'])
      expect(await shape(N)).toEqual(['arrays'])
      expect(await shape()).toEqual(['columns'])
    } finally {
      vi.restoreAllMocks()
    }
    expect(SORTED_COLUMNS_GROUPS).toBeGreaterThan(N)
  })
})
