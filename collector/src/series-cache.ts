import { canonicalTags, fingerprint, seriesProblem, tsvEscape } from '@peregrine/common'

export interface SeriesEntry {
  /** UInt64 fingerprint as text, or null when the series is rejected. */
  fp: string | null
  problem: string | null
  endpoint: string
  metric: string
  tags: string
  counterType: string
  step: number
  /** Unix seconds the series row was last queued for writing; 0 = never. */
  writtenAt: number
}

/**
 * What the collector knows about each series it has seen: its fingerprint and whether it is
 * valid, computed once per series rather than once per point. Bounded: when full it is cleared,
 * which costs only recomputation and a rewrite of series rows.
 */
export class SeriesCache {
  #entries = new Map<string, SeriesEntry>()

  constructor(private readonly maxEntries = 1_000_000) {}

  get size(): number {
    return this.#entries.size
  }

  resolve(endpoint: string, metric: string, rawTags: string, counterType: string, step: number): SeriesEntry {
    const key = `${endpoint}\n${metric}\n${rawTags}\n${counterType}\n${step}`
    let e = this.#entries.get(key)
    if (e) return e
    if (this.#entries.size >= this.maxEntries) this.#entries.clear()
    e = evaluate(endpoint, metric, rawTags, counterType, step)
    this.#entries.set(key, e)
    return e
  }
}

function evaluate(endpoint: string, metric: string, rawTags: string, counterType: string, step: number) {
  const tags = canonicalTags(rawTags)
  const base = { endpoint, metric, tags: tags ?? rawTags, counterType, step, writtenAt: 0 }
  if (tags === null) return { ...base, fp: null, problem: 'tags' }
  const p = seriesProblem({ endpoint, metric, tags, counterType, step })
  if (p) return { ...base, fp: null, problem: p.field }
  return { ...base, fp: fingerprint({ endpoint, metric, tags }), problem: null }
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
