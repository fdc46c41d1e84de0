import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Store } from '../src/clickhouse/client.ts'
import { decimalDigits, FLOAT_BITS, floatBitsText, mantissaOf } from '../src/clickhouse/decimal.ts'
import { migrate } from '../src/clickhouse/migrations.ts'
import { markRanges, rollTurn } from '../src/clickhouse/rollups.ts'
import { TEST_RETENTION, type TempDir, tempDir } from '../src/testing/index.ts'

/** Values at every edge of the decimal rule: exact decimals, floats that are not, extremes. */
const EDGES = [
  0,
  1,
  -1,
  12.34,
  -12.34,
  0.07,
  99.99,
  0.1 + 0.2,
  1 / 3,
  1e300,
  -1e-300,
  5e-324,
  Number.MAX_VALUE,
  -Number.MIN_VALUE,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 60,
  -(2 ** 62),
  123456789.123,
  1e15 + 0.5,
  255,
  256,
  -256,
  -65536,
  65535.5,
  1e-15,
  123.456789012345,
]

let dir: TempDir
let store: Store
const rows = <T>(query: string) => store.query<T>({ query, params: {} })

beforeAll(async () => {
  dir = await tempDir()
  store = Store.open({ url: '', path: join(dir.path, 'ch') })
})
afterAll(async () => {
  await store?.close()
  await dir?.remove()
})

/** A samples row as the collector writes it: fp, counter, ts, mantissa, exponent. */
function collectorRow(fp: number, counter: 0 | 1, ts: number, v: number): string {
  const digits = decimalDigits(v, -1)
  const numbers = digits < 0 ? `${floatBitsText(v)}\t${FLOAT_BITS}` : `${mantissaOf(v, digits)}\t${-digits}`
  return `${fp}\t${counter}\t${ts}\t${numbers}\n`
}

describe('the samples table', () => {
  it('moves the points and rollups of a schema before version 7, exactly, and drops the old tables', async () => {
    await migrate(store, TEST_RETENTION, 6)
    await store.command(`INSERT INTO series (fp, endpoint, metric, tags, counter_type, step, last_seen)
      VALUES (1, 'h', 'g', '', 'GAUGE', 10, now()), (2, 'h', 'c', '', 'COUNTER', 10, now())`)
    const old = EDGES.map((v, i) => `1\t${1_000_000 + i * 10}\t${v}\n2\t${1_000_000 + i * 10}\t${v}\n`).join(
      '',
    )
    await store.insertTsv('points', ['fp', 'ts', 'value'], old)
    const before = await rows<{ n: string; s: number }>(
      'SELECT sum(count) AS n, sum(sum) AS s FROM points_1m',
    )
    await migrate(store, TEST_RETENTION)
    const moved = await rows<{ fp: string; ts: number; value: number }>(
      'SELECT fp, ts, value FROM samples ORDER BY fp, ts',
    )
    expect(moved.map((r) => r.value)).toEqual([...EDGES, ...EDGES])
    const after = await rows<{ n: string; s: number }>(
      'SELECT sum(count) AS n, sum(sum) AS s FROM rollups_1m FINAL',
    )
    expect(after).toEqual(before)
    const left = await rows<{ name: string }>("SELECT name FROM system.tables WHERE name LIKE 'points%'")
    expect(left).toEqual([])
    // Run again (a second process, a restart): nothing changes.
    await migrate(store, TEST_RETENTION)
    expect(await rows('SELECT count() AS n FROM samples FINAL')).toEqual([{ n: String(EDGES.length * 2) }])
  })

  it('reads back every value as the float written, from the collector’s decimals and from floats', async () => {
    await store.command('TRUNCATE TABLE samples')
    const body = EDGES.map((v, i) => collectorRow(3, 0, i, v) + collectorRow(4, 1, i, v)).join('')
    await store.insertTsv('samples', ['fp', 'counter', 'ts', 'mantissa', 'exponent'], body)
    await store.insertTsv('samples', ['fp', 'ts', 'input'], EDGES.map((v, i) => `5\t${i}\t${v}\n`).join(''))
    const back = await rows<{ fp: string; value: number }>('SELECT fp, value FROM samples ORDER BY fp, ts')
    for (const fp of ['3', '4', '5'])
      expect(
        back.filter((r) => r.fp === fp).map((r) => r.value),
        `fp ${fp}`,
      ).toEqual(EDGES)
  })

  it('stores decimals as decimals: an exponent per value, the float bits only where no decimal is exact', async () => {
    const exps = await rows<{ exponent: number }>('SELECT exponent FROM samples WHERE fp = 3 ORDER BY ts')
    const expected = EDGES.map((v) => {
      const d = decimalDigits(v, -1)
      return d < 0 ? FLOAT_BITS : 0 - d
    })
    expect(exps.map((r) => r.exponent)).toEqual(expected)
    expect(expected.filter((e) => e === FLOAT_BITS).length).toBeLessThan(EDGES.length / 2)
  })
})

describe('rollups rolled from the samples', () => {
  // Two days ago, on the hour: inside every retention.
  const T = Math.floor(Date.now() / 3_600_000) * 3600 - 48 * 3600
  /** fp 9 is a GAUGE, fp 10 a COUNTER. */
  const rolled = (table: string, fp = 9) =>
    rows<{ ts: number; count: number; min: number; max: number; sum: number; last: number }>(
      `SELECT ts, count, min, max, sum, last FROM ${table} FINAL WHERE fp = ${fp} ORDER BY ts`,
    )
  const write = (fp: number, counter: 0 | 1, points: [offset: number, value: number][]) =>
    store.insertTsv(
      'samples',
      ['fp', 'ts', 'input', 'counter'],
      points.map(([o, v]) => `${fp}\t${T + o}\t${v}\t${counter}\n`).join(''),
    )
  const rollAll = async () => {
    while ((await rollTurn(store, T + 7200, 0)).minutes > 0);
  }

  it('count a point written twice once, with the value the samples keep; a gauge keeps min, max and an exact sum, a counter its last value', async () => {
    await store.command('TRUNCATE TABLE samples')
    await store.command('SYSTEM STOP MERGES samples')
    const gauge = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map((v, i): [number, number] => [i * 10, v])
    await write(9, 0, gauge)
    await write(9, 0, [[50, 60]]) // the last point again, with another value
    await write(10, 1, [
      [0, 1e12],
      [30, 1e12 + 7.5],
    ])
    await markRanges(store, [[T, T]])
    await rollAll()
    const [kept] = await rows<{ value: number }>(
      `SELECT value FROM samples FINAL WHERE fp = 9 AND ts = ${T + 50}`,
    )
    const k = kept!.value
    // 0.1 + 0.2 + 0.3 + 0.4 + 0.5 is 1.5 in decimals (floats would add up to 1.5000000000000002).
    expect(await rolled('rollups_1m')).toEqual([
      { ts: T, count: 6, min: 0.1, max: Math.max(k, 0.5), sum: 1.5 + k, last: 0 },
    ])
    expect(await rolled('rollups_1m', 10)).toEqual([
      { ts: T, count: 2, min: 0, max: 0, sum: 0, last: 1e12 + 7.5 },
    ])
    await store.command('SYSTEM START MERGES samples')
  })

  it('roll a minute again when a late point arrives, replacing the earlier roll, and the hour with it', async () => {
    await write(9, 0, [[65, 100]])
    await write(10, 1, [[3000, 2e12]])
    await markRanges(store, [
      [T + 60, T + 60],
      [T + 3000, T + 3000],
    ])
    await rollAll()
    const minutes = await rolled('rollups_1m')
    expect(minutes.map((m) => [m.ts, m.count])).toEqual([
      [T, 6],
      [T + 60, 1],
    ])
    const [hour] = await rolled('rollups_1h')
    expect(hour).toMatchObject({ ts: T, count: 7, min: 0.1, max: 100 })
    expect(hour!.sum).toBe(minutes[0]!.sum + 100)
    expect(await rolled('rollups_1h', 10)).toMatchObject([{ ts: T, count: 3, last: 2e12 }])
  })

  it('keep float bits for a bucket holding a value no decimal writes, and read it back exactly', async () => {
    await write(9, 0, [
      [7200, 0.1 + 0.2],
      [7210, 1],
    ])
    await markRanges(store, [[T + 7200, T + 7200]])
    while ((await rollTurn(store, T + 3 * 3600, 0)).minutes > 0);
    const [minute] = await rows<{ exponent: number; min: number; sum: number }>(
      `SELECT exponent, min, sum FROM rollups_1m FINAL WHERE fp = 9 AND ts = ${T + 7200}`,
    )
    expect(minute).toEqual({ exponent: FLOAT_BITS, min: 0.1 + 0.2, sum: 0.1 + 0.2 + 1 })
  })

  it('leave minutes that have not closed for a later turn', async () => {
    await write(9, 0, [[3000, 7]])
    await markRanges(store, [[T + 3000, T + 3000]])
    const early = await rollTurn(store, T + 3000 + 60, 30)
    expect(early).toEqual({ minutes: 0, waiting: 1 })
    const late = await rollTurn(store, T + 3000 + 60 + 30, 30)
    expect(late).toEqual({ minutes: 1, waiting: 0 })
  })
})
