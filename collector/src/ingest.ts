import { alignTimestamp, decodeBatch, SELF_REPORT_AGENT, tsvEscape } from '@peregrine/common'
import type { PendingBatch } from './pending.ts'
import { type SeriesCache, type SeriesEntry, seriesRow } from './series-cache.ts'

export type IngestResult =
  /** `held`: points of series not confirmed yet, accepted or refused when the batch is written. */
  | { ok: true; accepted: number; held: number; rejected: Record<string, number> }
  | { ok: false; error: string }

const EMPTY = Buffer.alloc(0)
/** Seconds between rewrites of an endpoint's last-seen row. */
const ENDPOINT_REFRESH_SECONDS = 10

export interface IngestState {
  cache: SeriesCache
  seriesRefreshSeconds: number
  /** Endpoint → when its last-seen row was last queued (unix seconds), and the agent it named. */
  endpointsWritten: Map<string, { at: number; agent: string }>
  /** Seconds a point is kept at most (the longest retention): older ones are refused, counted. */
  maxAgeSeconds: number
}

/**
 * Validates one batch message and adds its acceptable points to `target`. Bad points are counted
 * by the field that made them bad; the rest of the message still goes in. A message that is not
 * a batch at all is reported so the caller can terminate it. This is the collector's hot path:
 * per point it does one array lookup and writes one row of bytes.
 */
export function ingestMessage(
  data: Uint8Array,
  target: PendingBatch,
  state: IngestState,
  now: number,
): IngestResult {
  const decoded = decodeBatch(data)
  if (!decoded.ok) return decoded
  const b = decoded.batch
  const entries = b.series.map((key) => state.cache.resolve(key))
  queueSeriesRows(entries, b.source, target, state, now)

  const rejected: Record<string, number> = {}
  let accepted = 0
  let held = 0
  // Points of one message mostly share timestamp and step: align and convert to text once.
  let lastTs = Number.NaN
  let lastStep = 0
  let aligned = -1
  let tsTab = EMPTY
  const oldest = now - state.maxAgeSeconds
  for (let i = 0; i < b.refs.length; i++) {
    const e = entries[b.refs[i]!]
    const value = b.values[i]
    let problem: string
    if (e === undefined) problem = 'refs'
    else if (e.fp === null) problem = e.problem ?? 'series'
    else if (e.conflict !== null) problem = e.conflict
    else if (value === null || value === undefined) problem = 'value'
    else {
      const ts = b.ts[i]!
      if (ts !== lastTs || e.step !== lastStep) {
        lastTs = ts
        lastStep = e.step
        aligned = alignTimestamp(ts, e.step, now, oldest)
        tsTab = Buffer.from(`${aligned}\t`, 'latin1')
      }
      if (aligned >= 0 && e.confirmed) {
        target.rows.add(e, tsTab, aligned, value)
        accepted++
        continue
      }
      if (aligned >= 0) {
        target.heldRows(e).add(e, tsTab, aligned, value)
        held++
        continue
      }
      problem = 'timestamp'
    }
    rejected[problem] = (rejected[problem] ?? 0) + 1
  }
  return { ok: true, accepted, held, rejected }
}

function queueSeriesRows(
  entries: SeriesEntry[],
  source: { host: string; agent: string },
  target: PendingBatch,
  state: IngestState,
  now: number,
): void {
  let lastEndpoint = ''
  for (const e of entries) {
    if (e.fp === null || e.conflict !== null) continue
    // An unconfirmed series gets its row once the write has confirmed it.
    if (e.confirmed && now - e.writtenAt >= state.seriesRefreshSeconds) {
      e.writtenAt = now
      target.seriesRows.push(seriesRow(e, now))
    }
    if (e.endpoint === lastEndpoint) continue
    lastEndpoint = e.endpoint
    const last = state.endpointsWritten.get(e.endpoint)
    // Only the endpoint's own agent says which agent it runs; points pushed for it by others
    // (self-metrics, Open-Falcon pushes through another host's agent) keep what is known, since
    // the newest row is the one that counts.
    const own = source.host === e.endpoint && source.agent !== SELF_REPORT_AGENT ? source.agent : undefined
    const agent = own ?? last?.agent ?? ''
    if (last && now - last.at < ENDPOINT_REFRESH_SECONDS && agent === last.agent) continue
    if (state.endpointsWritten.size >= 1_000_000) state.endpointsWritten.clear()
    state.endpointsWritten.set(e.endpoint, { at: now, agent })
    target.endpointRows.push(`${tsvEscape(e.endpoint)}\t${tsvEscape(agent)}\t${now}\n`)
  }
}
