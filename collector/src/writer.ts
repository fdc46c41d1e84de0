import { param, type Store, sql } from '@peregrine/common'
import { type PendingBatch, PointRows } from './pending.ts'
import { SERIES_COLUMNS } from './series-cache.ts'

export const POINT_COLUMNS = ['fp', 'ts', 'value'] as const
const ENDPOINT_COLUMNS = ['endpoint', 'agent', 'last_seen'] as const

/**
 * Writes one batch: series and endpoints first (so a stored point always has its series), then
 * points. Returns how many suspect points were found already stored and skipped.
 */
export async function writeBatch(store: Store, batch: PendingBatch): Promise<number> {
  if (batch.seriesRows.length) await store.insertTsv('series', SERIES_COLUMNS, batch.seriesRows.join(''))
  if (batch.endpointRows.length)
    await store.insertTsv('endpoints', ENDPOINT_COLUMNS, batch.endpointRows.join(''))
  const unseen = batch.suspect.count ? await withoutStored(store, batch.suspect) : batch.suspect
  await store.insertTsv('points', POINT_COLUMNS, batch.fresh.text + unseen.text)
  return batch.suspect.count - unseen.count
}

/** The rows of `rows` that are not in the points table yet (nor repeated within `rows`). */
async function withoutStored(store: Store, rows: PointRows): Promise<PointRows> {
  const fps = new Set<string>()
  let minTs = Number.POSITIVE_INFINITY
  let maxTs = 0
  for (const r of rows.lines()) {
    fps.add(r.fp)
    minTs = Math.min(minTs, r.ts)
    maxTs = Math.max(maxTs, r.ts)
  }
  const stored = await store.query<{ fp: string; ts: number }>(
    sql`SELECT fp, ts FROM points
        WHERE fp IN ${param.uint64s([...fps])}
          AND ts BETWEEN ${param.uint32(minTs)} AND ${param.uint32(maxTs)}`,
  )
  const seen = new Set(stored.map((r) => `${r.fp}:${r.ts}`))
  const out = new PointRows()
  for (const r of rows.lines()) {
    const key = `${r.fp}:${r.ts}`
    if (seen.has(key)) continue
    seen.add(key)
    out.text += r.line
    out.count++
  }
  return out
}
