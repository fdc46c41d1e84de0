import {
  canonicalTags,
  fingerprint,
  MAX_SERIES_KEY,
  seriesProblem,
  splitSeriesKey,
  tsvEscape,
} from '@peregrine/common'

/** One series as the collector sees it. A class, so every entry has the same shape on the hot path. */
export class SeriesEntry {
  /** Unix seconds the series row was last queued for writing; 0 = never. */
  writtenAt = 0
  /** `fp` and a tab: the start of each of the series' point rows. */
  readonly rowPrefix: string

  constructor(
    /** UInt64 fingerprint as text, or null when the series is rejected. */
    readonly fp: string | null,
    /** The field at fault when rejected. */
    readonly problem: string | null,
    readonly endpoint: string,
    readonly metric: string,
    readonly tags: string,
    readonly counterType: string,
    readonly step: number,
  ) {
    this.rowPrefix = fp === null ? '' : `${fp}\t`
  }
}

/**
 * What the collector knows about each series key it has seen: fingerprint and validity,
 * computed once per series rather than once per point. Bounded: when full it is cleared, which
 * costs only recomputation and a rewrite of series rows.
 */
export class SeriesCache {
  #entries = new Map<string, SeriesEntry>()

  constructor(private readonly maxEntries = 1_000_000) {}

  get size(): number {
    return this.#entries.size
  }

  resolve(key: string): SeriesEntry {
    // Too long to be valid: rejected with the field at fault, and not kept.
    if (key.length > MAX_SERIES_KEY) return evaluate(key)
    let e = this.#entries.get(key)
    if (e) return e
    if (this.#entries.size >= this.maxEntries) this.#entries.clear()
    e = evaluate(key)
    this.#entries.set(key, e)
    return e
  }
}

function evaluate(key: string): SeriesEntry {
  const f = splitSeriesKey(key)
  if (!f) return new SeriesEntry(null, 'series', '', '', '', '', 0)
  const reject = (field: string) =>
    new SeriesEntry(null, field, f.endpoint, f.metric, f.tags, f.counterType, f.step)
  const tags = canonicalTags(f.tags)
  if (tags === null) return reject('tags')
  const p = seriesProblem({ ...f, tags })
  if (p) return reject(p.field)
  const fp = fingerprint({ endpoint: f.endpoint, metric: f.metric, tags })
  return new SeriesEntry(fp, null, f.endpoint, f.metric, tags, f.counterType, f.step)
}

export const SERIES_COLUMNS = [
  'fp',
  'endpoint',
  'metric',
  'tags',
  'counter_type',
  'step',
  'last_seen',
] as const

export function seriesRow(e: SeriesEntry, now: number): string {
  return `${e.fp}\t${tsvEscape(e.endpoint)}\t${tsvEscape(e.metric)}\t${tsvEscape(e.tags)}\t${e.counterType}\t${e.step}\t${now}\n`
}
