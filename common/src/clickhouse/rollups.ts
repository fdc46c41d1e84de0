import type { Store } from './client.ts'
import { param, sql } from './sql.ts'

/*
 * Rollups are rolled from the samples after the fact, off the insert path: whoever writes samples
 * records the minutes it wrote (markWritten) before it acknowledges them, and a roller (the
 * collector's, collector/src/roller.ts) rolls the minutes recorded once they have closed
 * (rollTurn). Rolling recomputes whole buckets from the samples as they are, so a point written
 * twice counts once, a late point makes its bucket rolled again, and rolling twice is harmless.
 */

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
      await store.command(sql`
        INSERT INTO rollups_1m (fp, ts, count, min, max, sum, last, rolled_at)
        SELECT fp, toUInt32(intDiv(ts, 60) * 60) AS bucket, toUInt32(count()), min(value), max(value),
               sum(value), argMax(value, ts), now64(3)
        FROM samples FINAL WHERE ts BETWEEN ${param.uint32(from)} AND ${param.uint32(to + 59)}
        GROUP BY fp, bucket`)
      minutes += (to - from) / 60 + 1
    }
  for (const [from, to] of hoursOf(ranges))
    await store.command(sql`
      INSERT INTO rollups_1h (fp, ts, count, min, max, sum, last, rolled_at)
      SELECT fp, toUInt32(intDiv(ts, 3600) * 3600) AS bucket, toUInt32(sum(count)), min(min), max(max),
             sum(sum), argMax(last, ts), now64(3)
      FROM rollups_1m FINAL WHERE ts BETWEEN ${param.uint32(from)} AND ${param.uint32(to + 3599)}
      GROUP BY fp, bucket`)
  await store.insertTsv(
    'rollup_dirty',
    ['id', 'from_ts', 'to_ts', 'version', 'deleted'],
    ready.map((p) => `${p.id}\t${p.from_ts}\t${p.to_ts}\t1\t1\n`).join(''),
  )
  return { minutes, waiting: pending.length - ready.length }
}
