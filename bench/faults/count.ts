// Counts what a data folder holds, per endpoint, as its own process: the embedded engine may be
// opened by one process at a time, and the benchmark opens many data folders in one run.
import { Store } from '@peregrine/common'

const path = process.argv[2]
if (!path) throw new Error('usage: count.ts <clickhouse data folder>')
const store = Store.open({ url: '', path })
// FINAL folds redelivered copies of a point (same series and timestamp), so a point counts once;
// the join keeps only points whose series is known, i.e. what the API can read back.
const rows = await store.query<{ endpoint: string; n: string }>({
  query: `SELECT endpoint, count() AS n
    FROM (SELECT fp FROM points FINAL) AS p
    INNER JOIN (SELECT DISTINCT fp, endpoint FROM series) AS s USING fp
    GROUP BY endpoint`,
  params: {},
})
console.log(JSON.stringify(Object.fromEntries(rows.map((r) => [r.endpoint, Number(r.n)]))))
await store.close()
