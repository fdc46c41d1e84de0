import { param, type Store, sql } from '@peregrine/common'
import type { PendingBatch } from './pending.ts'
import { type Definition, type SeriesCache, type SeriesEntry, seriesRow } from './series-cache.ts'

/** Fingerprints per lookup: keeps the bound array parameter to a few hundred kilobytes. */
const LOOKUP_CHUNK = 20_000

export interface Settled {
  accepted: number
  /** Points refused by the field at fault (`counterType`, `step`). */
  rejected: Record<string, number>
  /** The series refused, for the log. */
  refused: SeriesEntry[]
}

/**
 * Decides the series a batch holds points of without knowing their definition yet: a series
 * keeps the counterType and step it was first stored with, and a push naming others is refused
 * (counted by field) instead of silently redefining it. Confirmed series' points join the
 * batch with their series row; refused ones' are dropped. Steady state (every series confirmed)
 * costs nothing; a batch with new series costs one lookup.
 */
export async function settleNewSeries(
  store: Store,
  batch: PendingBatch,
  cache: SeriesCache,
  now: number,
): Promise<Settled> {
  const settled: Settled = { accepted: 0, rejected: {}, refused: [] }
  if (batch.held.size === 0) return settled
  const stored = await storedDefinitions(store, [...batch.held.keys()])
  for (const [e, rows] of batch.held) {
    cache.settle(e, stored.get(e.fp!))
    const points = rows.count
    if (e.confirmed) {
      batch.rows.append(rows)
      settled.accepted += points
      batch.seriesRows.push(seriesRow(e, now))
      e.writtenAt = now
    } else {
      const field = e.conflict ?? 'series'
      settled.rejected[field] = (settled.rejected[field] ?? 0) + points
      settled.refused.push(e)
    }
  }
  batch.held.clear()
  return settled
}

/** The stored definition of each entry's series not yet known to the cache. */
async function storedDefinitions(store: Store, entries: SeriesEntry[]): Promise<Map<string, Definition>> {
  const fps = [...new Set(entries.filter((e) => !e.confirmed && e.conflict === null).map((e) => e.fp!))]
  const found = new Map<string, Definition>()
  for (let i = 0; i < fps.length; i += LOOKUP_CHUNK) {
    const rows = await store.query<{ fp: string; counterType: string; step: number }>(sql`
      SELECT toString(fp) AS fp, argMax(counter_type, last_seen) AS counterType,
             argMax(step, last_seen) AS step
      FROM series WHERE fp IN ${param.uint64s(fps.slice(i, i + LOOKUP_CHUNK))} GROUP BY fp`)
    for (const r of rows) found.set(r.fp, { counterType: r.counterType, step: Number(r.step) })
  }
  return found
}
