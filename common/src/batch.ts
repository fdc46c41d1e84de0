import { canonicalTags, type SeriesDef, seriesProblem } from './points.ts'
import * as z from './zod.ts'

/**
 * Upper bound of the points of one batch message; a larger message is rejected whole (senders cut
 * their batches to fit). Every series has a point, so this bounds the series too. Bad series are
 * the collector's to reject one by one, however long their keys.
 */
export const MAX_BATCH_POINTS = 200_000
/** Upper bound of the distinct series of one batch message (docs/architecture.md). */
export const MAX_BATCH_SERIES = 50_000
/**
 * Most bytes a sender puts in one encoded batch: half of the 8 MiB `max_payload` Peregrine's
 * nats-server is configured with, so headers and a server with a smaller limit leave room.
 */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024
/** Keys longer than any valid series (endpoint 255 + metric and tags 510 + the rest). */
export const MAX_SERIES_KEY = 1024
/** The longest source host and agent names a batch may carry. */
export const MAX_SOURCE_HOST = 255
export const MAX_SOURCE_AGENT = 64

/**
 * A batch of points on the metrics stream, columnar so that a collector parses a few arrays of
 * numbers instead of one object per point: point i belongs to series[refs[i]] and has
 * timestamp ts[i] and value values[i] (null where the sender had no finite value).
 * Each series is one string, its key (see seriesKey): one allocation to parse and a ready-made
 * cache key for the collector. Series are checked by the collector, point by point.
 */
export const MetricBatchSchema = z.object({
  v: z.literal(1),
  source: z.object({
    host: z.string().check(z.maxLength(MAX_SOURCE_HOST)),
    agent: z.string().check(z.maxLength(MAX_SOURCE_AGENT)),
  }),
  series: z.array(z.string()).check(z.maxLength(MAX_BATCH_POINTS)),
  refs: z.array(z.number()).check(z.maxLength(MAX_BATCH_POINTS)),
  ts: z.array(z.number()).check(z.maxLength(MAX_BATCH_POINTS)),
  values: z.array(z.nullable(z.number())).check(z.maxLength(MAX_BATCH_POINTS)),
})
export type MetricBatch = z.infer<typeof MetricBatchSchema>

/**
 * A series as one string: endpoint, metric, tags, counterType and step separated by tabs. Tabs
 * cannot occur inside the fields (control characters are rejected), so the split is unambiguous.
 */
export function seriesKey(s: SeriesDef): string {
  return `${s.endpoint}\t${s.metric}\t${s.tags}\t${s.counterType}\t${s.step}`
}

/** The fields of a series key, unchecked; null when it does not have five fields. */
export function splitSeriesKey(key: string) {
  const f = key.split('\t')
  if (f.length !== 5) return null
  return { endpoint: f[0]!, metric: f[1]!, tags: f[2]!, counterType: f[3]!, step: Number(f[4]) }
}

/**
 * A series key as storage takes it: split, its tags made canonical and every field checked
 * (seriesProblem); or the field at fault. The collector and the judge read keys through this one
 * rule, so the judge never evaluates a series that would not be stored.
 */
export function checkSeriesKey(
  key: string,
): { def: SeriesDef; problem: null } | { def: null; problem: string } {
  const f = splitSeriesKey(key)
  if (!f) return { def: null, problem: 'series' }
  const tags = canonicalTags(f.tags)
  if (tags === null) return { def: null, problem: 'tags' }
  const def = { ...f, tags } as SeriesDef
  const p = seriesProblem(def)
  return p ? { def: null, problem: p.field } : { def, problem: null }
}

/** Accumulates points into one MetricBatch, numbering each distinct series once. */
export class BatchBuilder {
  #series: MetricBatch['series'] = []
  #index = new Map<string, number>()
  #refs: number[] = []
  #ts: number[] = []
  #values: (number | null)[] = []

  constructor(readonly source: MetricBatch['source']) {}

  get size(): number {
    return this.#refs.length
  }

  add(series: SeriesDef, ts: number, value: number): void {
    this.addKey(seriesKey(series), ts, Number.isFinite(value) ? value : null)
  }

  /** Adds a point of a series given by its key (see seriesKey). */
  addKey(key: string, ts: number, value: number | null): void {
    let ref = this.#index.get(key)
    if (ref === undefined) {
      ref = this.#series.length
      this.#series.push(key)
      this.#index.set(key, ref)
    }
    this.#refs.push(ref)
    this.#ts.push(ts)
    this.#values.push(value)
  }

  /** Returns the batch and starts a new one. */
  take(): MetricBatch {
    const batch: MetricBatch = {
      v: 1,
      source: this.source,
      series: this.#series,
      refs: this.#refs,
      ts: this.#ts,
      values: this.#values,
    }
    this.#series = []
    this.#index.clear()
    this.#refs = []
    this.#ts = []
    this.#values = []
    return batch
  }
}

export function encodeBatch(batch: MetricBatch): Uint8Array {
  return Buffer.from(JSON.stringify(batch))
}

/** One encoded message of a batch that was cut to fit, and the points it carries. */
export interface EncodedBatch {
  data: Uint8Array
  points: number
}

/**
 * Encodes a batch as one message or, when it has more points or series than a message may carry
 * or its encoding exceeds `maxBytes`, as several: it is halved until every part fits. The size
 * is measured on the encoding itself, as series names of any length make estimates unreliable.
 */
export function encodeBatches(batch: MetricBatch, maxBytes = MAX_BATCH_BYTES): EncodedBatch[] {
  return cutBatch(batch, (b) => encodeBatch(b).byteLength <= maxBytes).map((b) => ({
    data: encodeBatch(b),
    points: b.refs.length,
  }))
}

/**
 * Cuts a batch into parts a message may carry: halved until every part has at most
 * MAX_BATCH_POINTS points and MAX_BATCH_SERIES series and `fits` (or is one point), in order.
 */
export function cutBatch(batch: MetricBatch, fits: (part: MetricBatch) => boolean): MetricBatch[] {
  const points = batch.refs.length
  const overCount = points > MAX_BATCH_POINTS || batch.series.length > MAX_BATCH_SERIES
  if (!overCount && (points <= 1 || fits(batch))) return [batch]
  const half = Math.ceil(points / 2)
  return [slicePoints(batch, 0, half), slicePoints(batch, half, points)].flatMap((b) => cutBatch(b, fits))
}

/** Points [from, to) of a batch, with only the series they use. */
function slicePoints(batch: MetricBatch, from: number, to: number): MetricBatch {
  const b = new BatchBuilder(batch.source)
  for (let i = from; i < to; i++)
    b.addKey(batch.series[batch.refs[i]!]!, batch.ts[i]!, batch.values[i] ?? null)
  return b.take()
}

export type DecodeResult = { ok: true; batch: MetricBatch } | { ok: false; error: string }

export function decodeBatch(data: Uint8Array): DecodeResult {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'))
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` }
  }
  const parsed = MetricBatchSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, error: `${issue?.path.join('.') || 'batch'}: ${issue?.message}` }
  }
  const b = parsed.data
  if (b.refs.length !== b.ts.length || b.refs.length !== b.values.length)
    return { ok: false, error: 'refs, ts and values must have the same length' }
  return { ok: true, batch: b }
}
