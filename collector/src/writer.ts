import type { Store } from '@peregrine/common'
import type { PendingBatch, PointRows } from './pending.ts'
import { repairRollups } from './rollups.ts'
import { SERIES_COLUMNS } from './series-cache.ts'

export const POINT_COLUMNS = ['fp', 'ts', 'value'] as const
/**
 * Days one points insert may span. Raw points are partitioned by day and ClickHouse refuses an
 * insert into more than 100 partitions (max_partitions_per_insert_block), so a batch reaching
 * further back (a backfill, a host with a wrong clock) is written in windows of this many days.
 */
const DAYS_PER_INSERT = 90
const ENDPOINT_COLUMNS = ['endpoint', 'agent', 'last_seen'] as const

/**
 * Writes one batch: series and endpoints first (so a stored point always has its series), then
 * points. Suspect points (re-delivered, or from a write that failed once) are inserted like the
 * rest, since the raw table collapses duplicates, and their rollup buckets are then repaired.
 * Returns whether a repair ran.
 */
export async function writeBatch(store: Store, batch: PendingBatch): Promise<boolean> {
  if (batch.seriesRows.length) await store.insertTsv('series', SERIES_COLUMNS, batch.seriesRows.join(''))
  if (batch.endpointRows.length)
    await store.insertTsv('endpoints', ENDPOINT_COLUMNS, batch.endpointRows.join(''))
  for (const text of pointInserts(batch.fresh, batch.suspect))
    await store.insertTsv('points', POINT_COLUMNS, text)
  if (batch.suspect.count === 0) return false
  const { fps, minTs, maxTs } = batch.suspect.extent()
  await repairRollups(store, fps, minTs, maxTs)
  return true
}

/** The point rows of a batch as insert bodies: one, unless they span more than DAYS_PER_INSERT. */
function pointInserts(...parts: PointRows[]): string[] {
  const minTs = Math.min(...parts.map((p) => p.minTs))
  const maxTs = Math.max(...parts.map((p) => p.maxTs))
  const text = parts.map((p) => p.text).join('')
  const window = DAYS_PER_INSERT * 86_400
  if (text === '') return []
  if (maxTs - minTs < window) return [text]
  const byWindow = new Map<number, string[]>()
  for (const line of text.split('\n')) {
    if (line === '') continue
    const w = Math.floor(Number(line.split('\t', 2)[1]) / window)
    const lines = byWindow.get(w)
    if (lines) lines.push(line)
    else byWindow.set(w, [line])
  }
  return [...byWindow.values()].map((lines) => `${lines.join('\n')}\n`)
}
