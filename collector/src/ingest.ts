import { alignTimestamp, decodeBatch, tsvEscape } from '@peregrine/common'
import type { PendingBatch } from './pending.ts'
import { type SeriesCache, type SeriesEntry, seriesRow } from './series-cache.ts'

export type IngestResult =
  | { ok: true; accepted: number; rejected: Record<string, number> }
  | { ok: false; error: string }

/** Seconds between rewrites of an endpoint's last-seen row. */
const ENDPOINT_REFRESH_SECONDS = 10

export interface IngestState {
  cache: SeriesCache
  seriesRefreshSeconds: number
  /** Endpoint → unix seconds its last-seen row was last queued. */
  endpointsWritten: Map<string, number>
}

/**
 * Validates one batch message and adds its acceptable points to `target`. Bad points are counted
 * by the field that made them bad; the rest of the message still goes in. A message that is not
 * a batch at all is reported so the caller can terminate it.
 */
export function ingestMessage(
  data: Uint8Array,
  redelivered: boolean,
  target: PendingBatch,
  state: IngestState,
  now: number,
): IngestResult {
  const decoded = decodeBatch(data)
  if (!decoded.ok) return decoded
  const b = decoded.batch
  const rejected: Record<string, number> = {}
  const entries: SeriesEntry[] = b.series.map(([endpoint, metric, tags, counterType, step]) =>
    state.cache.resolve(endpoint, metric, tags, counterType, step),
  )
  for (const e of entries) if (e.fp !== null) queueSeriesRows(e, b.source, target, state, now)

  const rows = redelivered ? target.suspect : target.fresh
  let accepted = 0
  for (let i = 0; i < b.refs.length; i++) {
    const e = entries[b.refs[i]!]
    let problem: string | null
    if (e === undefined) problem = 'refs'
    else if (e.fp === null) problem = e.problem
    else {
      const value = b.values[i]
      const ts = alignTimestamp(b.ts[i]!, e.step, now)
      if (value === null || value === undefined) problem = 'value'
      else if (ts < 0) problem = 'timestamp'
      else {
        rows.push(e.fp, ts, value)
        accepted++
        continue
      }
    }
    const field = problem ?? 'unknown'
    rejected[field] = (rejected[field] ?? 0) + 1
  }
  return { ok: true, accepted, rejected }
}

function queueSeriesRows(
  e: SeriesEntry,
  source: { host: string; agent: string },
  target: PendingBatch,
  state: IngestState,
  now: number,
): void {
  if (now - e.writtenAt >= state.seriesRefreshSeconds) {
    e.writtenAt = now
    target.seriesRows.push(seriesRow(e, now))
  }
  const last = state.endpointsWritten.get(e.endpoint) ?? 0
  if (now - last >= ENDPOINT_REFRESH_SECONDS) {
    if (state.endpointsWritten.size >= 1_000_000) state.endpointsWritten.clear()
    state.endpointsWritten.set(e.endpoint, now)
    const agent = source.host === e.endpoint ? source.agent : ''
    target.endpointRows.push(`${tsvEscape(e.endpoint)}\t${tsvEscape(agent)}\t${now}\n`)
  }
}
