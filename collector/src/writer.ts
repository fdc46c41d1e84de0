import type { Store } from '@peregrine/common'
import type { PendingBatch } from './pending.ts'
import { repairRollups } from './rollups.ts'
import { SERIES_COLUMNS } from './series-cache.ts'

export const POINT_COLUMNS = ['fp', 'ts', 'value'] as const
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
  await store.insertTsv('points', POINT_COLUMNS, batch.fresh.text + batch.suspect.text)
  if (batch.suspect.count === 0) return false
  const { fps, minTs, maxTs } = batch.suspect.extent()
  await repairRollups(store, fps, minTs, maxTs)
  return true
}
