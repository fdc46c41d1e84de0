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

/**
 * Runs `read` while an insert that takes ~2 s (a tenth of a second a row, slept by ClickHouse)
 * runs on the writers' connection; whether the read was answered before the insert was.
 */
async function whileInserting<T>(read: () => Promise<T>): Promise<{ answer: T; beforeInsert: boolean }> {
  let inserted = false
  const insert = api.store
    .command('INSERT INTO slow_sink SELECT number FROM numbers(20) WHERE sleepEachRow(0.1) = 0')
    .then(() => {
      inserted = true
    })
  // Long enough for the insert to reach the engine, far shorter than it runs.
  await new Promise((r) => setTimeout(r, 200))
  const answer = await read()
  const beforeInsert = !inserted
  await insert
  return { answer, beforeInsert }
}

describe('reads while a write runs', () => {
  it('answers a bound query before a long insert ends', async () => {
    const { answer, beforeInsert } = await whileInserting(() =>
      api.store.query<{ n: string }>(sql`SELECT count() AS n FROM samples WHERE ts > ${param.uint32(0)}`),
    )
    expect(answer).toEqual([{ n: '1' }])
    expect(beforeInsert).toBe(true)
    expect(await api.store.query(sql`SELECT count() AS n FROM slow_sink`)).toEqual([{ n: '20' }])
  })

  it('answers a history request before a long insert ends', async () => {
    const { answer, beforeInsert } = await whileInserting(() =>
      api.app.inject({
        method: 'GET',
        url: `/api/v1/history?endpoint=${series.endpoint}&metric=${series.metric}`,
        headers: { authorization: `Bearer ${api.admin}` },
      }),
    )
    expect(answer.statusCode).toBe(200)
    expect(answer.json().series[0].values).toEqual([42])
    expect(beforeInsert).toBe(true)
  })
})
