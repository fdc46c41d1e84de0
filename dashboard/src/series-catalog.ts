import type { Store } from '@peregrine/common'
import {
  groupBy,
  MAX_SERIES_PER_QUERY,
  type SeriesRow,
  seriesOfEndpoints,
  seriesOfMetrics,
  tagPairs,
} from './queries.ts'

export interface CatalogLimits {
  /** How long an endpoint's series are answered from memory: a new series waits at most this. */
  ttlMs: number
  /** An endpoint with more series is only noted as having too many; its series are looked up each time. */
  perEndpoint: number
  /** Series held in all; the least recently used endpoints go first. */
  rows: number
}

/**
 * 15 s: longer than the UI's shortest auto-refresh (10 s), so a page that refreshes keeps its
 * endpoints in memory; 2,000 series: a host with every disk, interface and core has a few hundred.
 */
export const CATALOG_LIMITS: CatalogLimits = { ttlMs: 15_000, perEndpoint: 2_000, rows: 100_000 }

/** An endpoint's series by metric, each list sorted by tags; or too many of them to hold. */
type Held = { series: Map<string, SeriesRow[]>; rows: number } | 'crowded'

interface Entry {
  expires: number
  held: Held
}

/**
 * The series that history and last-value requests select, from memory. Looking them up in
 * ClickHouse was a query of its own before every points query (~4.5 ms of a one-series request's
 * ~14 ms); held per endpoint, most requests are one query. Series only ever appear (a series keeps
 * its counter type and step), so what is held is only late: a series new to an endpoint already
 * held shows within `ttlMs`. An endpoint without any series is not held, so a new host shows at once.
 */
export class SeriesCatalog {
  private readonly entries = new Map<string, Entry>()
  /** Loads under way, so that a page's charts asking at once share one. */
  private readonly loading = new Map<string, Promise<Held | null>>()
  private rows = 0

  constructor(
    private readonly store: Store,
    private readonly limits: CatalogLimits = CATALOG_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The series of `metrics` on `endpoints` whose tags include `tags` (canonical text), sorted by
   * endpoint, metric and tags (as ClickHouse sorts: by bytes), the first MAX_SERIES_PER_QUERY.
   */
  async matching(
    endpoints: readonly string[],
    metrics: readonly string[],
    tags: string,
  ): Promise<SeriesRow[]> {
    const names = byBytes(endpoints)
    const held = await this.heldOf(names)
    // Too many to hold: looked up as before, all in one query. Its first MAX_SERIES_PER_QUERY are
    // enough: a row past them has that many of the answer's rows before it.
    const looked = await seriesOfMetrics(this.store, {
      endpoints: names.filter((_, i) => held[i] === 'crowded'),
      metrics,
      tags,
      limit: MAX_SERIES_PER_QUERY,
    })
    const pairs = tagPairs(tags)
    const sortedMetrics = byBytes(metrics)
    const out: SeriesRow[] = []
    names.forEach((endpoint, i) => {
      const h = held[i]
      if (h === 'crowded') out.push(...looked.filter((s) => s.endpoint === endpoint))
      else if (h)
        for (const metric of sortedMetrics)
          for (const s of h.series.get(metric) ?? []) if (hasAll(s.tags, pairs)) out.push(s)
    })
    return out.slice(0, MAX_SERIES_PER_QUERY)
  }

  /** What is held of each endpoint, those not held (or held too long) loaded in one query. */
  private heldOf(endpoints: readonly string[]): Promise<(Held | null)[]> {
    const now = this.now()
    const missing = endpoints.filter((e) => !this.fresh(e, now) && !this.loading.has(e))
    if (missing.length > 0) {
      const load = this.load(missing)
      for (const e of missing)
        this.loading.set(
          e,
          load.then((held) => held.get(e) ?? null).finally(() => this.loading.delete(e)),
        )
    }
    return Promise.all(endpoints.map((e) => this.fresh(e, now)?.held ?? this.loading.get(e) ?? null))
  }

  /** The entry of `endpoint` if it has not expired, made the most recently used. */
  private fresh(endpoint: string, now: number): Entry | undefined {
    const entry = this.entries.get(endpoint)
    if (!entry || entry.expires <= now) return undefined
    this.entries.delete(endpoint)
    this.entries.set(endpoint, entry)
    return entry
  }

  private async load(endpoints: string[]): Promise<Map<string, Held>> {
    const rows = await seriesOfEndpoints(this.store, endpoints, this.limits.perEndpoint + 1)
    const expires = this.now() + this.limits.ttlMs
    const out = new Map<string, Held>()
    for (const [endpoint, series] of groupBy(rows, (r) => r.endpoint)) {
      const held: Held =
        series.length > this.limits.perEndpoint
          ? 'crowded'
          : { series: groupBy(series, (r) => r.metric), rows: series.length }
      out.set(endpoint, held)
      this.hold(endpoint, { expires, held })
    }
    for (const e of endpoints) if (!out.has(e)) this.forget(e)
    return out
  }

  private hold(endpoint: string, entry: Entry): void {
    this.forget(endpoint)
    this.entries.set(endpoint, entry)
    this.rows += sizeOf(entry.held)
    for (const oldest of this.entries.keys()) {
      if (this.rows <= this.limits.rows) break
      this.forget(oldest)
    }
  }

  private forget(endpoint: string): void {
    const entry = this.entries.get(endpoint)
    if (!entry) return
    this.rows -= sizeOf(entry.held)
    this.entries.delete(endpoint)
  }
}

/** What an entry counts against `rows`: an endpoint with too many series held as such counts one. */
const sizeOf = (held: Held) => (held === 'crowded' ? 1 : held.rows)

/** What `hasAll(splitByChar(',', tags), pairs)` answers in ClickHouse. */
function hasAll(tags: string, pairs: readonly string[]): boolean {
  if (pairs.length === 0) return true
  const have = tags.split(',')
  return pairs.every((p) => have.includes(p))
}

/** Distinct names in ClickHouse's order for strings: by their UTF-8 bytes. */
function byBytes(names: readonly string[]): string[] {
  return [...new Set(names)]
    .map((n) => ({ n, bytes: Buffer.from(n) }))
    .sort((a, b) => Buffer.compare(a.bytes, b.bytes))
    .map((x) => x.n)
}
