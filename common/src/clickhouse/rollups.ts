import type { Store } from './client.ts'
import { DIGITS, FLOAT_BITS } from './decimal.ts'
import { type BoundQuery, param, sql } from './sql.ts'

/*
 * Rollups are rolled from the samples after the fact, off the insert path: whoever writes samples
 * records the minutes it wrote (markWritten) before it acknowledges them, and a roller (the
 * collector's, collector/src/roller.ts) rolls the minutes recorded once they have closed
 * (rollTurn). Rolling recomputes whole buckets from the samples as they are, so a point written
 * twice counts once, a late point makes its bucket rolled again, and rolling twice is harmless.
 */

/** Digits every mantissa is scaled to while aggregating: the most a decimal has (decimal.ts). */
const SCALE = DIGITS - 1
const ROLLUP_COLUMNS =
  'fp, ts, count, exponent, min_mantissa, max_mantissa, sum_mantissa, last_mantissa, rolled_at'

/**
 * The columns of a rollup row from aggregates of one bucket: `e` the smallest exponent of its
 * values (their finest digits, or FLOAT_BITS), `min15`… their mantissas at SCALE digits (Int128,
 * exact), `minf`… the same as floats. Mantissas are brought to `e`: exact, since every one is a
 * multiple of 10^(SCALE + e); where one would not fit an Int64, the row keeps float bits.
 */
const ROLLUP_ROW = `fp, bucket, n, if(exact, e, ${FLOAT_BITS}),
  if(exact, toInt64(intDiv(min15, scale)), reinterpretAsInt64(minf)),
  if(exact, toInt64(intDiv(max15, scale)), reinterpretAsInt64(maxf)),
  if(exact, toInt64(intDiv(sum15, scale)), reinterpretAsInt64(sumf)),
  if(exact, toInt64(intDiv(last15, scale)), reinterpretAsInt64(lastf)),
  now64(3)`
const ROLLUP_ROW_CHECKS = `toInt128(intExp10(${SCALE} + greatest(e, -${SCALE}))) AS scale,
  e != ${FLOAT_BITS} AND greatest(abs(min15), abs(max15), abs(sum15), abs(last15)) < toInt128(9e18) * scale AS exact`
/** A mantissa at SCALE digits, 0 for float bits (their rows fall back to floats). */
const at15 = (mantissa: string) =>
  `if(exponent = ${FLOAT_BITS}, toInt128(0), toInt128(${mantissa}) * toInt128(intExp10(${SCALE} + exponent)))`

/**
 * Rolls the minutes of [from, to] from the samples as they are (FINAL folds a point written twice
 * to the copy the samples keep). A GAUGE keeps min, max and sum, a COUNTER or DERIVE its last value.
 */
function rollMinutes(from: number, to: number) {
  return sql`INSERT INTO rollups_1m (${code(ROLLUP_COLUMNS)})
    SELECT ${code(ROLLUP_ROW)} FROM (
      SELECT fp, toUInt32(intDiv(ts, 60) * 60) AS bucket, toUInt32(count()) AS n, any(counter) AS c,
             min(exponent) AS e, if(c, 0, min(m15)) AS min15, if(c, 0, max(m15)) AS max15,
             if(c, 0, sum(m15)) AS sum15, if(c, argMax(m15, ts), 0) AS last15,
             if(c, 0, min(value)) AS minf, if(c, 0, max(value)) AS maxf, if(c, 0, sum(value)) AS sumf,
             if(c, argMax(value, ts), 0) AS lastf, ${code(ROLLUP_ROW_CHECKS)}
      FROM (SELECT fp, ts, counter, exponent, value, ${code(at15('stored_mantissa'))} AS m15
            FROM samples FINAL WHERE ts BETWEEN ${number(from)} AND ${number(to)})
      GROUP BY fp, bucket)`
}

/** Rolls the hours of [from, to] from the 1-minute rollup (the newest roll of each minute). */
function rollHours(from: number, to: number) {
  return sql`INSERT INTO rollups_1h (${code(ROLLUP_COLUMNS)})
    SELECT ${code(ROLLUP_ROW)} FROM (
      SELECT fp, toUInt32(intDiv(ts, 3600) * 3600) AS bucket, toUInt32(sum(count)) AS n, min(exponent) AS e,
             min(min15_) AS min15, max(max15_) AS max15, sum(sum15_) AS sum15, argMax(last15_, ts) AS last15,
             min(min) AS minf, max(max) AS maxf, sum(sum) AS sumf, argMax(last, ts) AS lastf,
             ${code(ROLLUP_ROW_CHECKS)}
      FROM (SELECT fp, ts, count, exponent, min, max, sum, last, ${code(at15('min_mantissa'))} AS min15_,
                   ${code(at15('max_mantissa'))} AS max15_, ${code(at15('sum_mantissa'))} AS sum15_,
                   ${code(at15('last_mantissa'))} AS last15_
            FROM rollups_1m FINAL WHERE ts BETWEEN ${number(from)} AND ${number(to)})
      GROUP BY fp, bucket)`
}

/** SQL text written in this file, never from input, as a fragment for `sql`. */
const code = (query: string): BoundQuery => ({ query, params: {} })
/**
 * A time of this process's own written in, not bound: chdb runs bound statements one at a time in
 * the whole process, so a long roll would hold up every bound read.
 */
const number = (n: number): BoundQuery => code(String(Math.trunc(n)))

/** Dirty ranges one turn takes at most; the rest waits for the next turn. */
const RANGES_PER_TURN = 10_000
/** Minutes one roll query covers at most, which bounds its memory (series × minutes groups). */
const MINUTES_PER_ROLL = 60

/** An inclusive range of minute starts (unix seconds, multiples of 60). */
export type MinuteRange = [from: number, to: number]

/**
 * Records that points were written in `minutes` (bucket starts), as ranges of consecutive minutes,
 * so that the roller rolls them (again). Written with the batch, before its messages are
 * acknowledged: a point acknowledged is always either rolled or recorded to be.
 */
export function markWritten(store: Store, minutes: Iterable<number>): Promise<void> {
  return markRanges(store, coalesce([...minutes].map((m): MinuteRange => [m, m])))
}

/** Records ranges of minutes to be rolled (again). */
export async function markRanges(store: Store, ranges: readonly MinuteRange[]): Promise<void> {
  if (ranges.length === 0) return
  await store.insertTsv('rollup_dirty', ['from_ts', 'to_ts'], ranges.map(([a, b]) => `${a}\t${b}\n`).join(''))
}

/** Ranges merged where they overlap or touch, sorted; `ranges` is not changed. */
export function coalesce(ranges: readonly MinuteRange[]): MinuteRange[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0])
  const out: MinuteRange[] = []
  for (const [from, to] of sorted) {
    const last = out.at(-1)
    if (last && from <= last[1] + 60) last[1] = Math.max(last[1], to)
    else out.push([from, to])
  }
  return out
}

/** `range` cut into consecutive pieces of at most `minutes` minutes. */
export function pieces(range: MinuteRange, minutes: number): MinuteRange[] {
  const out: MinuteRange[] = []
  for (let from = range[0]; from <= range[1]; from += minutes * 60)
    out.push([from, Math.min(range[1], from + (minutes - 1) * 60)])
  return out
}

/** The hours (starts) the minute ranges fall in, as ranges of hour starts. */
export function hoursOf(ranges: readonly MinuteRange[]): MinuteRange[] {
  const hours: MinuteRange[] = ranges.map(([a, b]) => [a - (a % 3600), b - (b % 3600)])
  // Merged as minutes would be, then widened back: adjacent hours are 3600 apart, not 60.
  const merged: MinuteRange[] = []
  for (const [from, to] of hours.sort((x, y) => x[0] - y[0])) {
    const last = merged.at(-1)
    if (last && from <= last[1] + 3600) last[1] = Math.max(last[1], to)
    else merged.push([from, to])
  }
  return merged
}

interface Pending {
  id: string
  from_ts: number
  to_ts: number
}

/**
 * One turn of the roller: the written ranges whose minutes have all closed are rolled from the
 * samples into the 1-minute rollup, the hours they fall in from the 1-minute into the 1-hour
 * rollup, and the ranges are then marked rolled. Each roll recomputes whole buckets from the
 * samples as they are (FINAL: a point written twice counts once), and replaces any earlier roll of
 * them; so rolling twice, or from two collectors at once, gives the same rollups. Returns the
 * minutes rolled and the ranges left waiting.
 */
export async function rollTurn(
  store: Store,
  now: number,
  graceSeconds: number,
): Promise<{ minutes: number; waiting: number }> {
  const pending = await store.query<Pending>(
    sql`SELECT toString(id) AS id, from_ts, to_ts FROM rollup_dirty FINAL WHERE deleted = 0
        ORDER BY from_ts LIMIT ${param.uint32(RANGES_PER_TURN)}`,
  )
  const closedBefore = now - graceSeconds - 60
  const ready = pending.filter((p) => Number(p.to_ts) <= closedBefore)
  if (ready.length === 0) return { minutes: 0, waiting: pending.length }
  const ranges = coalesce(ready.map((p): MinuteRange => [Number(p.from_ts), Number(p.to_ts)]))
  let minutes = 0
  for (const range of ranges)
    for (const [from, to] of pieces(range, MINUTES_PER_ROLL)) {
      await store.command(rollMinutes(from, to + 59))
      minutes += (to - from) / 60 + 1
    }
  for (const [from, to] of hoursOf(ranges)) await store.command(rollHours(from, to + 3599))
  await store.insertTsv(
    'rollup_dirty',
    ['id', 'from_ts', 'to_ts', 'version', 'deleted'],
    ready.map((p) => `${p.id}\t${p.from_ts}\t${p.to_ts}\t1\t1\n`).join(''),
  )
  return { minutes, waiting: pending.length - ready.length }
}
