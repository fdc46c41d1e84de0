import type { Store } from './client.ts'
import { DIGITS, FLOAT_BITS } from './decimal.ts'

/** The exponent SQL gives `input` (decimalDigits' rule, for inserts that send floats). */
const sqlExponent = `multiIf(${Array.from(
  { length: DIGITS },
  (_, k) => `abs(input) * ${10 ** k} < 9e18 AND round(input * ${10 ** k}) / ${10 ** k} = input, ${-k}`,
).join(', ')}, ${FLOAT_BITS})`

const plane = (kind: 'gauge' | 'counter', shift: number) =>
  `if(counter ${kind === 'gauge' ? '= 0' : '!= 0'}, toUInt8(bitAnd(bitShiftRight(mantissa, ${shift}), 255)), 0)`
const high = (kind: 'gauge' | 'counter') =>
  `if(counter ${kind === 'gauge' ? '= 0' : '!= 0'}, bitShiftRight(mantissa, 16), 0)`

/**
 * Raw points. The samples table keeps a value: as a decimal, mantissa × 10^exponent, whenever one of at
 * most 16 fractional digits gives back exactly the same Float64 (0.07 is 7 × 10^-2, and 7 / 100
 * is 0.07 again); otherwise, as the float's own 64 bits with exponent FLOAT_BITS. Decimals make
 * values that move by small steps into integers that move by small steps, which the codecs below
 * shrink to about a byte; nothing is rounded, every value reads back as the very float written.
 *
 * The mantissa is stored as byte planes: its two low bytes apart and the rest, each with Delta
 * (for gauges) or double Delta (for counters, whose increase changes slowly). Delta on a single
 * byte wraps around, so a step of ±100 stays one byte whatever the carries, where ZSTD on 64-bit
 * differences pays for seven bytes of sign; gauges and counters have columns of their own, and
 * the other kind's columns hold zeros that cost nothing. On the benchmark data (bench/data.ts)
 * this is 0.93 bytes per point against 1.78 for Float64 with Delta and ZSTD.
 *
 * A point is kept RETENTION_DAYS from its timestamp and at least a day from when it was
 * written (`written`), so that a point older than the raw retention is still there when the
 * roller rolls it into the rollups, which keep it. One row per series and timestamp (a point
 * written twice is folded). Writers give either
 * `counter`, `mantissa` and `exponent` (the collector, see decimalDigits) or a Float64 `input`
 * (anything else); readers read `value`.
 */
export const SAMPLES_TABLE = `CREATE TABLE IF NOT EXISTS samples (
  fp UInt64 CODEC(Delta, ZSTD(1)),
  ts UInt32 CODEC(DoubleDelta, ZSTD(1)),
  written DateTime DEFAULT now() CODEC(DoubleDelta, ZSTD(1)),
  input Float64 EPHEMERAL,
  counter UInt8 DEFAULT 0 CODEC(ZSTD(1)),
  exponent Int8 DEFAULT ${sqlExponent} CODEC(ZSTD(1)),
  mantissa Int64 EPHEMERAL if(exponent = ${FLOAT_BITS}, reinterpretAsInt64(input), toInt64(round(input * intExp10(-exponent)))),
  gauge_b0 UInt8 DEFAULT ${plane('gauge', 0)} CODEC(Delta, ZSTD(6)),
  gauge_b1 UInt8 DEFAULT ${plane('gauge', 8)} CODEC(Delta, ZSTD(6)),
  gauge_hi Int64 DEFAULT ${high('gauge')} CODEC(Delta, ZSTD(3)),
  counter_b0 UInt8 DEFAULT ${plane('counter', 0)} CODEC(Delta, Delta, ZSTD(6)),
  counter_b1 UInt8 DEFAULT ${plane('counter', 8)} CODEC(Delta, Delta, ZSTD(6)),
  counter_hi Int64 DEFAULT ${high('counter')} CODEC(DoubleDelta, ZSTD(3)),
  stored_mantissa Int64 ALIAS bitOr(bitShiftLeft(gauge_hi + counter_hi, 16),
    bitOr(bitShiftLeft(toInt64(gauge_b1 + counter_b1), 8), toInt64(gauge_b0 + counter_b0))),
  value Float64 ALIAS multiIf(exponent = 0, toFloat64(stored_mantissa),
    exponent = ${FLOAT_BITS}, reinterpretAsFloat64(stored_mantissa), stored_mantissa / intExp10(-exponent))
) ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(toDateTime(ts))
ORDER BY (fp, ts)
SETTINGS ttl_only_drop_parts = 1`

/** A mantissa column read as the Float64 it holds at the row's `exponent` (as in samples). */
const decoded = (mantissa: string) =>
  `multiIf(exponent = 0, toFloat64(${mantissa}), exponent = ${FLOAT_BITS}, reinterpretAsFloat64(${mantissa}), ${mantissa} / intExp10(-exponent))`

/**
 * Per series and bucket: the points' count, and what history reads of them: min, max and sum for
 * a GAUGE, the last value for a COUNTER or DERIVE (its rate); the others are left 0. Rolled from
 * the samples by the collector after the fact (so a point written twice counts once); a bucket
 * rolled again replaces the earlier roll: readers take the newest (`rolled_at`) with FINAL.
 * Values are decimals at one exponent per row, the finest of its points (or FLOAT_BITS when one
 * of them is), so the sum is the exact sum of the points; readers read min, max, sum and last.
 */
const rollupTable = (table: string, partition: string) => `CREATE TABLE IF NOT EXISTS ${table} (
  fp UInt64 CODEC(Delta, ZSTD(1)),
  ts UInt32 CODEC(DoubleDelta, ZSTD(1)),
  count UInt32 CODEC(T64, ZSTD(1)),
  exponent Int8 CODEC(ZSTD(1)),
  min_mantissa Int64 CODEC(Delta, T64, ZSTD(3)),
  max_mantissa Int64 CODEC(Delta, T64, ZSTD(3)),
  sum_mantissa Int64 CODEC(Delta, T64, ZSTD(3)),
  last_mantissa Int64 CODEC(DoubleDelta, ZSTD(3)),
  rolled_at DateTime64(3) CODEC(DoubleDelta, ZSTD(1)),
  min Float64 ALIAS ${decoded('min_mantissa')},
  max Float64 ALIAS ${decoded('max_mantissa')},
  sum Float64 ALIAS ${decoded('sum_mantissa')},
  last Float64 ALIAS ${decoded('last_mantissa')}
) ENGINE = ReplacingMergeTree(rolled_at)
PARTITION BY ${partition}
ORDER BY (fp, ts)
SETTINGS ttl_only_drop_parts = 1`

/** The TTL of the samples table for a raw retention of `days`. */
export const samplesTtl = (days: number) =>
  `greatest(toDateTime(ts) + INTERVAL ${Math.trunc(days)} DAY, written + INTERVAL 1 DAY)`

export const ROLLUP_TABLES = [
  rollupTable('rollups_1m', 'toYYYYMM(toDateTime(ts))'),
  rollupTable('rollups_1h', 'toYear(toDateTime(ts))'),
]

/**
 * Ranges of minutes written since they were last rolled (from_ts … to_ts, minute starts): rows
 * written with each stored batch before its messages are acknowledged, and marked rolled (a row
 * of the same id with `deleted`) once the roller has rolled them. Rows
 * older than 30 days go whatever their state: their raw points are past the default retention.
 */
export const ROLLUP_DIRTY_TABLE = `CREATE TABLE IF NOT EXISTS rollup_dirty (
  id UUID DEFAULT generateUUIDv4(),
  from_ts UInt32,
  to_ts UInt32,
  written_at DateTime DEFAULT now(),
  version UInt8 DEFAULT 0,
  deleted UInt8 DEFAULT 0
) ENGINE = ReplacingMergeTree(version, deleted)
ORDER BY id
TTL written_at + INTERVAL 30 DAY`

/**
 * Moves what the tables before version 7 held into the new ones, then drops them. Safe to run
 * twice or from two processes at once: a point or bucket copied twice is folded, and a copy whose
 * source another process has dropped meanwhile was done by that process.
 */
export async function movePointsToSamples(store: Store): Promise<void> {
  await copyIfPresent(
    store,
    'points',
    `INSERT INTO samples (fp, ts, input, counter)
     SELECT fp, ts, value, fp IN (SELECT fp FROM series WHERE counter_type != 'GAUGE') FROM points`,
  )
  for (const [from, to] of [
    ['points_1m', 'rollups_1m'],
    ['points_1h', 'rollups_1h'],
  ] as const)
    await copyIfPresent(
      store,
      from,
      // As float bits: exact, if not as small as what the roller writes.
      `INSERT INTO ${to} (fp, ts, count, exponent, min_mantissa, max_mantissa, sum_mantissa, last_mantissa, rolled_at)
       SELECT fp, ts, toUInt32(sum(count)), ${FLOAT_BITS}, reinterpretAsInt64(min(min)), reinterpretAsInt64(max(max)),
              reinterpretAsInt64(sum(sum)), reinterpretAsInt64(argMaxMerge(last)), 0
       FROM ${from} GROUP BY fp, ts`,
    )
  for (const table of ['points', 'points_1m', 'points_1h'])
    await store.command(`DROP TABLE IF EXISTS ${table}`)
}

async function copyIfPresent(store: Store, table: string, copy: string): Promise<void> {
  const [exists] = await store.query<{ result: number }>({ query: `EXISTS TABLE ${table}`, params: {} })
  if (Number(exists?.result) !== 1) return
  try {
    await store.command(copy)
  } catch (err) {
    if ((err as { type?: string }).type !== 'UNKNOWN_TABLE') throw err
  }
}
