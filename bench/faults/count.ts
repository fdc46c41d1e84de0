// Counts what a data folder holds, per endpoint, as its own process: the embedded engine may be
// opened by one process at a time, and the benchmark opens many data folders in one run.
import { Store } from '@peregrine/common'

/** The benchmark runs Peregrine with the default `RETENTION_DAYS`. */
const RAW_RETENTION_DAYS = 30
const path = process.argv[2]
if (!path) throw new Error('usage: count.ts <clickhouse data folder>')
const store = Store.open({ url: '', path })
// FINAL folds redelivered copies of a point (same series and timestamp), so a point counts once;
// the join keeps only points whose series is known, i.e. what the API can read back. Points
// older than the raw retention are kept in the hourly rollups only (what the API reads for that
// time), so they are counted there: below the first whole hour inside the raw retention.
const rawSince = Math.ceil((Date.now() / 1000 - RAW_RETENTION_DAYS * 86_400) / 3600) * 3600
const rows = await store.query<{ endpoint: string; n: string }>({
  query: `SELECT endpoint, sum(n) AS n
    FROM (
      SELECT fp, toInt64(count()) AS n FROM samples FINAL WHERE ts >= {since:UInt32} GROUP BY fp
      UNION ALL
      SELECT fp, toInt64(sum(count)) AS n FROM rollups_1h FINAL WHERE ts < {since:UInt32} GROUP BY fp
    ) AS p
    INNER JOIN (SELECT DISTINCT fp, endpoint FROM series) AS s USING fp
    GROUP BY endpoint`,
  params: { since: rawSince },
})
console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.endpoint, Number(r.n)]))))
await store.close()
