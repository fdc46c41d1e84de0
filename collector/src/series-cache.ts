import { checkSeriesKey, fingerprint, MAX_SERIES_KEY, splitSeriesKey, tsvEscape } from '@peregrine/common'

/** One series as the collector sees it. A class, so every entry has the same shape on the hot path. */
export class SeriesEntry {
  /** Unix seconds the series row was last queued for writing; 0 = never. */
  writtenAt = 0
  /**
   * Whether this counterType and step are the series' definition: stored before, or first
   * written by this collector. Until then the series' points wait beside their batch.
   */
  confirmed = false
  /** `counterType` or `step` when the series is stored with another one: its points are refused. */
  conflict: string | null = null
  /** How its point rows start (RowBinary): `fp` as UInt64, counter (1 for COUNTER and DERIVE, else 0). */
  readonly rowPrefix: Buffer
  /** Fractional digits of the series' last value: where the next one's decimal is looked for first. */
  digits = -1

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
    this.rowPrefix = Buffer.alloc(9)
    if (fp !== null) {
      this.rowPrefix.writeBigUInt64LE(BigInt(fp))
      this.rowPrefix[8] = counterType === 'GAUGE' ? 0 : 1
    }
  }
}

/**
 * What the collector knows about each series key it has seen: fingerprint and validity,
 * computed once per series rather than once per point, and the confirmed definition of each
 * fingerprint. Bounded: when full it is cleared, which costs only recomputation, a rewrite of
 * series rows and one more look at the definitions in storage; `onClear` is told, so that what
 * holds entries (the senders' dictionaries) resolves its keys anew.
 */
export class SeriesCache {
  #entries = new Map<string, SeriesEntry>()
  /** Fingerprint → the entry whose counterType and step are the series' definition. */
  #definitions = new Map<string, SeriesEntry>()
  /**
   * One string per endpoint, shared by its entries: the hot loop tells a message's endpoints
   * apart by comparing them, which is then a pointer comparison.
   */
  #endpoints = new Map<string, string>()

  constructor(
    private readonly maxEntries = 1_000_000,
    private readonly onClear: () => void = () => {},
  ) {}

  get size(): number {
    return this.#entries.size
  }

  resolve(key: string): SeriesEntry {
    // Too long to be valid: rejected with the field at fault, and not kept.
    if (key.length > MAX_SERIES_KEY) return this.#evaluate(key)
    let e = this.#entries.get(key)
    if (e) return e
    if (this.#entries.size >= this.maxEntries) {
      this.#entries.clear()
      this.#definitions.clear()
      this.#endpoints.clear()
      this.onClear()
    }
    e = this.#evaluate(key)
    // Another key of a confirmed series (tags in another order, or another definition).
    const known = e.fp === null ? undefined : this.#definitions.get(e.fp)
    if (known) this.#compare(e, known)
    this.#entries.set(key, e)
    return e
  }

  /**
   * Decides an unconfirmed entry against `stored`, the definition storage holds for its
   * fingerprint (undefined: none): the first definition of a series is kept, another is refused.
   */
  settle(e: SeriesEntry, stored: Definition | undefined): void {
    if (e.fp === null || e.confirmed || e.conflict !== null) return
    const known = this.#definitions.get(e.fp) ?? stored
    if (known !== undefined) this.#compare(e, known)
    else {
      e.confirmed = true
      this.#definitions.set(e.fp, e)
    }
  }

  #evaluate(key: string): SeriesEntry {
    const { def, problem } = checkSeriesKey(key)
    if (def === null) {
      const f = splitSeriesKey(key)
      if (!f) return new SeriesEntry(null, problem, '', '', '', '', 0)
      return new SeriesEntry(null, problem, f.endpoint, f.metric, f.tags, f.counterType, f.step)
    }
    const fp = fingerprint(def)
    let endpoint = this.#endpoints.get(def.endpoint)
    if (endpoint === undefined) {
      endpoint = def.endpoint
      this.#endpoints.set(endpoint, endpoint)
    }
    return new SeriesEntry(fp, null, endpoint, def.metric, def.tags, def.counterType, def.step)
  }

  #compare(e: SeriesEntry, known: Definition): void {
    if (known.counterType !== e.counterType) e.conflict = 'counterType'
    else if (known.step !== e.step) e.conflict = 'step'
    else {
      e.confirmed = true
      if (!this.#definitions.has(e.fp!)) this.#definitions.set(e.fp!, e)
    }
  }
}

export interface Definition {
  counterType: string
  step: number
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
