import { markWritten, type Store } from '@peregrine/common'
import {
  type PendingBatch,
  POINT_COLUMNS,
  POINT_STRUCTURE,
  type PointRows,
  ROW_BYTES,
  TS_OFFSET,
} from './pending.ts'
import { SERIES_COLUMNS } from './series-cache.ts'

/**
 * Days one points insert may span. Raw points are partitioned by day and ClickHouse refuses an
 * insert into more than 100 partitions (max_partitions_per_insert_block), so a batch reaching
 * further back (a backfill, a host with a wrong clock) is written in windows of this many days.
 */
const DAYS_PER_INSERT = 90
const ENDPOINT_COLUMNS = ['endpoint', 'agent', 'last_seen'] as const

/**
 * Writes one batch: series and endpoints first (so a stored point always has its series), then
 * points, then the minutes they fall in, for the roller. A batch written twice (re-delivered, or
 * retried after a write that failed half-way) changes nothing: the samples table folds a point
 * stored twice, and rollups are rolled from it.
 */
export async function writeBatch(store: Store, batch: PendingBatch): Promise<void> {
  if (batch.seriesRows.length) await store.insertTsv('series', SERIES_COLUMNS, batch.seriesRows.join(''))
  if (batch.endpointRows.length)
    await store.insertTsv('endpoints', ENDPOINT_COLUMNS, batch.endpointRows.join(''))
  for (const body of pointInserts(batch.rows))
    await store.insertRowBinary('samples', POINT_COLUMNS, POINT_STRUCTURE, body)
  await markWritten(store, batch.rows.minutes)
}

/** The point rows as insert bodies: one, unless they span more than DAYS_PER_INSERT. */
function pointInserts(rows: PointRows): Buffer[] {
  if (rows.count === 0) return []
  const window = DAYS_PER_INSERT * 86_400
  const bytes = rows.bytes
  if (rows.maxTs - rows.minTs < window) return [bytes]
  const byWindow = new Map<number, Buffer[]>()
  for (let at = 0; at < bytes.length; at += ROW_BYTES) {
    const w = Math.floor(bytes.readUInt32LE(at + TS_OFFSET) / window)
    const row = bytes.subarray(at, at + ROW_BYTES)
    const list = byWindow.get(w)
    if (list) list.push(row)
    else byWindow.set(w, [row])
  }
  return [...byWindow.values()].map((list) => Buffer.concat(list))
}
