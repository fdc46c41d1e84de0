// Reads do not wait behind writes: the embedded store answers queries on a chdb session of its own,
// so a history request is answered while a long insert holds the writers' connection.
import { fingerprint, param, sql } from '@peregrine/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
const now = Math.floor(Date.now() / 1000)
const series = { endpoint: 'busy-host', metric: 'cpu.busy', tags: '' }

beforeAll(async () => {
  api = await startTestApi({
    seed: async (store) => {
      const fp = fingerprint(series)
      await store.insertTsv(
        'series',
        ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
        `${fp}\t${series.endpoint}\t${series.metric}\t\tGAUGE\t10\t${now}\n`,
      )
      await store.insertTsv('samples', ['fp', 'ts', 'input', 'counter'], `${fp}\t${now - 60}\t42\t0\n`)
      await store.command('CREATE TABLE slow_sink (n UInt64) ENGINE = MergeTree ORDER BY n')
    },
  })
})

afterAll(() => api?.dispose())

/** An insert that takes ~2 s (a tenth of a second a row, slept by ClickHouse), as a statement. */
const slowInsert = (bound: boolean) =>
  bound
    ? sql`INSERT INTO slow_sink SELECT number FROM numbers(20) WHERE sleepEachRow(${param.float64(0.1)}) = 0`
    : 'INSERT INTO slow_sink SELECT number FROM numbers(20) WHERE sleepEachRow(0.1) = 0'

/**
 * Runs `read` while a slow insert runs on the writers' connection, with its sleep as text or as a
 * bound parameter (as the roller's statements have theirs); whether the read was answered first.
 */
async function whileInserting<T>(
  bound: boolean,
  read: () => Promise<T>,
): Promise<{ answer: T; beforeInsert: boolean }> {
  let inserted = false
  const insert = api.store.command(slowInsert(bound)).then(() => {
    inserted = true
  })
  // Long enough for the insert to reach the engine, far shorter than it runs.
  await new Promise((r) => setTimeout(r, 200))
  const answer = await read()
  const beforeInsert = !inserted
  await insert
  return { answer, beforeInsert }
}

const countSamples = () =>
  api.store.query<{ n: string }>(sql`SELECT count() AS n FROM samples WHERE ts > ${param.uint32(0)}`)
const historyRequest = () =>
  api.app.inject({
    method: 'GET',
    url: `/api/v1/history?endpoint=${series.endpoint}&metric=${series.metric}`,
    headers: { authorization: `Bearer ${api.admin}` },
  })

describe('reads while a write runs', () => {
  it('answers a query before a long insert on the writers’ connection ends', async () => {
    const { answer, beforeInsert } = await whileInserting(false, countSamples)
    expect(answer).toEqual([{ n: '1' }])
    expect(beforeInsert).toBe(true)
    expect(await api.store.query(sql`SELECT count() AS n FROM slow_sink`)).toEqual([{ n: '20' }])
  })

  it('answers a query with numbers before a long statement with bound parameters ends', async () => {
    // chdb runs bound statements one at a time in the whole process; numbers are written in.
    const { answer, beforeInsert } = await whileInserting(true, countSamples)
    expect(answer).toEqual([{ n: '1' }])
    expect(beforeInsert).toBe(true)
  })

  it('answers a history request before a long insert ends, bound or not, once its series are held', async () => {
    expect((await historyRequest()).statusCode).toBe(200)
    for (const bound of [false, true]) {
      const { answer, beforeInsert } = await whileInserting(bound, historyRequest)
      expect(answer.statusCode).toBe(200)
      expect(answer.json().series[0].values).toEqual([42])
      expect(beforeInsert, `bound: ${bound}`).toBe(true)
    }
  })

  it('reads text bound and numbers written in alike', async () => {
    const text = "it's \\ {p0:String} '); SELECT 1 --"
    const bound = sql`SELECT ${param.string(text)} AS s, ${param.float64(0.25)} AS f, ${param.uint64('42')} AS u`
    expect(await api.store.query(bound)).toEqual([{ s: text, f: 0.25, u: '42' }])
    const written = sql`SELECT ${param.float64(1e21)} AS f, ${param.float64(-5e-324)} AS g, ${param.uint64('42')} AS u,
                               ${param.uint64s(['18446744073709551615', '0'])} AS a, ${param.uint32s([1, 2])} AS l`
    expect(await api.store.query(written)).toEqual([
      { f: 1e21, g: -5e-324, u: '42', a: ['18446744073709551615', '0'], l: [1, 2] },
    ])
    // Too long to write in (ClickHouse parses at most 256 KiB of query): bound.
    const many = Array.from({ length: 20_000 }, (_, i) => String(10n ** 18n + BigInt(i)))
    expect(await api.store.query(sql`SELECT length(${param.uint64s(many)}) AS n`)).toEqual([{ n: '20000' }])
  })
})
