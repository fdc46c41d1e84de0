import {
  alignTimestamp,
  BatchResolver,
  type DefinitionSource,
  type Logger,
  type ResolvedBatch,
  SELF_REPORT_AGENT,
  tsvEscape,
} from '@peregrine/common'
import type { PendingBatch } from './pending.ts'
import { SeriesCache, type SeriesEntry, seriesRow } from './series-cache.ts'

export type IngestResult =
  /** `held`: points of series not confirmed yet, accepted or refused when the batch is written. */
  | { ok: true; accepted: number; held: number; rejected: Record<string, number> }
  | { ok: false; error: string }

/** Seconds between rewrites of an endpoint's last-seen row. */
const ENDPOINT_REFRESH_SECONDS = 10

export interface IngestState {
  cache: SeriesCache
  /** Decodes messages of either version and resolves their series to cache entries. */
  batches: BatchResolver<SeriesEntry>
  seriesRefreshSeconds: number
  /** Endpoint → when its last-seen row was last queued (unix seconds), and the agent it named. */
  endpointsWritten: Map<string, { at: number; agent: string }>
  /** Seconds a point is kept at most (the longest retention): older ones are refused, counted. */
  maxAgeSeconds: number
}

/**
 * The collector's series knowledge: the cache of series keys, and the senders' dictionaries
 * (v2 batches) that map their ids to its entries, looked up in `definitions` when unknown.
 */
export function ingestState(
  o: { seriesRefreshSeconds: number; maxAgeSeconds: number },
  definitions: DefinitionSource | null,
  log: Logger,
): IngestState {
  const cache: SeriesCache = new SeriesCache(undefined, () => batches.dictionary.invalidate())
  const batches = new BatchResolver((key) => cache.resolve(key), definitions, {
    onLoadError: (err, owner, epoch, chunk) =>
      log.warn(
        { err: err.message, owner, epoch, chunk },
        'looking up series definitions failed; their points are refused meanwhile',
      ),
  })
  return { ...o, cache, batches, endpointsWritten: new Map() }
}

/**
 * Validates one batch message and adds its acceptable points to `target()`. Bad points are counted
 * by the field that made them bad; the rest of the message still goes in. A message that is not
 * a batch at all is reported so the caller can terminate it. This is the collector's hot path:
 * per point it does two array reads and writes one row of bytes; it waits only while a v2 batch's sender
 * dictionary has ids to look up, which is why the target is asked for once they are known.
 */
export async function ingestMessage(
  msg: { data: Uint8Array; subject: string },
  target: () => PendingBatch,
  state: IngestState,
  now: number,
): Promise<IngestResult> {
  const read = state.batches.read(msg.subject, msg.data, (b) =>
    b.series.map((key) => state.cache.resolve(key)),
  )
  // Not awaited unless it is a promise: a result as is holds the decoder's buffer, read at once.
  const r = read instanceof Promise ? await read : read
  return r.ok ? addPoints(r, target(), state, now) : r
}

function addPoints(
  b: ResolvedBatch<SeriesEntry>,
  target: PendingBatch,
  state: IngestState,
  now: number,
): IngestResult {
  queueSeriesRows(b, target, state, now)
  const { refs, ts, ts0, values, count } = b.points
  const entries = b.series
  const rejected: Record<string, number> = {}
  let accepted = 0
  let held = 0
  // Points of one message mostly share timestamp and step: align and convert to text once.
  let lastTs = Number.NaN
  let lastStep = 0
  let aligned = -1
  const oldest = now - state.maxAgeSeconds
  for (let i = 0; i < count; i++) {
    const e = entries[refs[i]!]
    const value = values[i] as number
    let problem: string
    if (e === undefined) problem = 'refs'
    else if (e.fp === null) problem = e.problem ?? 'series'
    else if (e.conflict !== null) problem = e.conflict
    else if (!Number.isFinite(value)) problem = 'value'
    else {
      const t = ts === null ? ts0 : ts[i]!
      if (t !== lastTs || e.step !== lastStep) {
        lastTs = t
        lastStep = e.step
        aligned = alignTimestamp(t, e.step, now, oldest)
      }
      if (aligned >= 0 && e.confirmed) {
        target.rows.add(e, aligned, value)
        accepted++
        continue
      }
      if (aligned >= 0) {
        target.heldRows(e).add(e, aligned, value)
        held++
        continue
      }
      problem = 'timestamp'
    }
    rejected[problem] = (rejected[problem] ?? 0) + 1
  }
  return { ok: true, accepted, held, rejected }
}

/** Series and endpoint rows of the series the message has points of (once a row is due). */
function queueSeriesRows(
  b: ResolvedBatch<SeriesEntry>,
  target: PendingBatch,
  state: IngestState,
  now: number,
): void {
  const { refs, count } = b.points
  const { source } = b
  let lastEndpoint = ''
  let previous: SeriesEntry | undefined
  for (let i = 0; i < count; i++) {
    const e = b.series[refs[i]!]
    if (e === undefined || e === previous || e.fp === null || e.conflict !== null) continue
    previous = e
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
