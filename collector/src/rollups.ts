import { ident, param, type Store, sql } from '@peregrine/common'

const ROLLUPS: [table: string, seconds: number][] = [
  ['points_1m', 60],
  ['points_1h', 3600],
]

/**
 * Makes the rollup buckets of `fps` between `minTs` and `maxTs` agree with the raw points again.
 * The rollup views count every row inserted into `points`, so a re-delivered point counts twice,
 * and a collector killed between the raw insert and its views leaves a bucket short. For each
 * bucket whose count differs from the distinct raw points, one correcting row is added: min, max
 * and last are idempotent, sum and count carry the difference.
 */
export async function repairRollups(
  store: Store,
  fps: string[],
  minTs: number,
  maxTs: number,
): Promise<void> {
  for (const [table, seconds] of ROLLUPS) {
    const from = minTs - (minTs % seconds)
    const to = maxTs - (maxTs % seconds) + seconds - 1
    const s = param.uint32(seconds)
    const scope = sql`fp IN ${param.uint64s(fps)} AND ts BETWEEN ${param.uint32(from)} AND ${param.uint32(to)}`
    const diff = sql`
      SELECT p.fp AS fp, p.bucket AS ts, p.min AS min, p.max AS max, p.sum - r.sum AS sum,
             p.count - r.count AS count, p.last AS last
      FROM (
        SELECT fp, toUInt32(intDiv(ts, ${s}) * ${s}) AS bucket, min(value) AS min, max(value) AS max,
               sum(value) AS sum, toInt64(count()) AS count, argMaxState(value, ts) AS last
        FROM (SELECT fp, ts, any(value) AS value FROM points WHERE ${scope} GROUP BY fp, ts)
        GROUP BY fp, bucket
      ) AS p
      LEFT JOIN (
        SELECT fp, ts AS bucket, sum(sum) AS sum, sum(count) AS count FROM ${ident(table)}
        WHERE ${scope} GROUP BY fp, ts
      ) AS r ON p.fp = r.fp AND p.bucket = r.bucket
      WHERE p.count != r.count`
    await store.command(sql`INSERT INTO ${ident(table)} (fp, ts, min, max, sum, count, last) ${diff}`)
  }
}
