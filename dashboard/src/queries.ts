import {
  asRates,
  type CounterType,
  type HistorySeries,
  ident,
  param,
  type Resolution,
  type Store,
  sql,
} from '@peregrine/common'

export interface SeriesRow {
  fp: string
  endpoint: string
  metric: string
  tags: string
  counter_type: CounterType
  step: number
  last_seen: number
}

const SERIES_COLUMNS = sql`fp, endpoint, metric, tags, counter_type, step, toUnixTimestamp(last_seen) AS last_seen`
/** Series a history or last query may return at most. */
export const MAX_SERIES_PER_QUERY = 500

/** The endpoints a token may read (Visibility.endpoints); null: every endpoint. */
export type EndpointFilter = string[] | null

const endpointIn = (only: EndpointFilter) =>
  only === null ? sql`1` : sql`endpoint IN ${param.strings(only)}`

export function listEndpoints(store: Store, prefix: string, limit: number, only: EndpointFilter) {
  // The newest time is not aliased last_seen: ClickHouse would read argMax's last_seen as that alias.
  return store.query<{ endpoint: string; agent: string; seen: number }>(
    sql`SELECT endpoint, argMax(agent, last_seen) AS agent, toUnixTimestamp(max(last_seen)) AS seen
        FROM endpoints WHERE startsWith(endpoint, ${param.string(prefix)}) AND ${endpointIn(only)}
        GROUP BY endpoint ORDER BY endpoint LIMIT ${param.uint32(limit)}`,
  )
}

/** Series by endpoint and metric prefix, having every `k=v` in `tags`. */
export function searchSeries(
  store: Store,
  q: { endpoint: string; metric: string; tag: string[]; limit: number },
  only: EndpointFilter,
) {
  return store.query<SeriesRow>(
    sql`SELECT ${SERIES_COLUMNS} FROM series FINAL
        WHERE startsWith(endpoint, ${param.string(q.endpoint)})
          AND startsWith(metric, ${param.string(q.metric)})
          AND hasAll(splitByChar(',', tags), ${param.strings(q.tag)}) AND ${endpointIn(only)}
        ORDER BY endpoint, metric, tags LIMIT ${param.uint32(q.limit)}`,
  )
}

/** The series of one endpoint and metric whose tags include `tags` (canonical text). */
export function matchingSeries(store: Store, endpoint: string, metric: string, tags: string) {
  return seriesOfMetric(store, { endpoints: [endpoint], metric, tags, limit: MAX_SERIES_PER_QUERY })
}

/**
 * The series of a metric whose tags include `tags` (canonical text), on the given endpoints (null:
 * any), as a strategy selects them; sorted by endpoint and tags, at most `limit`.
 */
export function seriesOfMetric(
  store: Store,
  q: { endpoints: EndpointFilter; metric: string; tags: string; limit: number },
) {
  if (q.endpoints?.length === 0) return Promise.resolve([])
  const pairs = q.tags === '' ? [] : q.tags.split(',')
  return store.query<SeriesRow>(
    sql`SELECT ${SERIES_COLUMNS} FROM series FINAL
        WHERE metric = ${param.string(q.metric)} AND ${endpointIn(q.endpoints)}
          AND hasAll(splitByChar(',', tags), ${param.strings(pairs)})
        ORDER BY endpoint, tags LIMIT ${param.uint32(q.limit)}`,
  )
}

/**
 * The stored points of `fps` with from ≤ ts ≤ to, as they were sent (COUNTER/DERIVE raw), oldest
 * first, by fingerprint. A point stored twice and not yet merged comes twice (the judge's rule
 * ignores the second: it is not newer).
 */
export async function rawPoints(
  store: Store,
  fps: readonly string[],
  from: number,
  to: number,
): Promise<Map<string, { ts: number[]; values: number[] }>> {
  if (fps.length === 0) return new Map()
  // One row per series, its points as two arrays sorted by time: far less to parse than a row each.
  // (Aliased apart from the columns: WHERE would read an alias `ts` as the array.)
  const rows = await store.query<{ fp: string; times: number[]; vals: number[] }>(
    sql`SELECT fp, arraySort(groupArray(ts)) AS times,
               arraySort((v, t) -> t, groupArray(value), groupArray(ts)) AS vals
        FROM points
        WHERE fp IN ${param.uint64s([...fps])} AND ts BETWEEN ${param.uint32(from)} AND ${param.uint32(to)}
        GROUP BY fp`,
  )
  return new Map(rows.map((r) => [r.fp, { ts: r.times, values: r.vals }]))
}

interface BucketRow {
  fp: string
  t: number
  avg: number | null
  min: number | null
  max: number | null
  last: number
  /** When `last` was measured: the newest point's time (raw), the bucket start (rollups). */
  last_ts: number
}

const TABLES: Record<Resolution, string> = { raw: 'points', '1m': 'points_1m', '1h': 'points_1h' }

/**
 * Points of `series` in [from, to], bucketed by `interval` from the chosen table. Grouping also
 * folds duplicates that ClickHouse has not merged yet. COUNTER/DERIVE come back as per-second
 * rates of each bucket's last value, so the query reaches one interval further back. From raw
 * points the rate divides by the time between those last values, so a bucket cut short by `to`
 * still gets its true rate; rollups keep no such time and divide by the bucket distance.
 */
export async function history(
  store: Store,
  series: SeriesRow[],
  q: { from: number; to: number; resolution: Resolution; interval: number },
): Promise<HistorySeries[]> {
  if (series.length === 0) return []
  const table = ident(TABLES[q.resolution])
  const i = param.uint32(q.interval)
  const aggregates =
    q.resolution === 'raw'
      ? sql`avg(value) AS avg, min(value) AS min, max(value) AS max, argMax(value, ts) AS last,
            max(ts) AS last_ts`
      : sql`sum(sum) / sum(count) AS avg, min(min) AS min, max(max) AS max, argMaxMerge(last) AS last,
            t AS last_ts`
  const hasCounters = series.some((s) => s.counter_type !== 'GAUGE')
  const from = hasCounters ? Math.max(0, q.from - q.interval) : q.from
  const rows = await store.query<BucketRow>(
    sql`SELECT fp, toUInt32(intDiv(ts, ${i}) * ${i}) AS t, ${aggregates}
        FROM ${table}
        WHERE fp IN ${param.uint64s(series.map((s) => s.fp))}
          AND ts BETWEEN ${param.uint32(from)} AND ${param.uint32(q.to)}
        GROUP BY fp, t ORDER BY fp, t`,
  )
  const byFp = groupByFingerprint(rows)
  const summarised = q.resolution !== 'raw' || series.some((s) => s.step < q.interval)
  return series.map((s) => {
    const buckets = byFp.get(s.fp) ?? []
    const base = {
      endpoint: s.endpoint,
      metric: s.metric,
      tags: s.tags,
      counterType: s.counter_type,
      step: s.step,
      resolution: q.resolution,
      interval: q.interval,
    }
    if (s.counter_type !== 'GAUGE') {
      const rates = asRates(
        { timestamps: buckets.map((b) => b.last_ts), values: buckets.map((b) => b.last) },
        s.counter_type,
      )
      // Each rate is stamped with its bucket, like every other value.
      const bucketOf = new Map(buckets.map((b) => [b.last_ts, b.t]))
      return {
        ...base,
        timestamps: rates.timestamps.map((ts) => bucketOf.get(ts)!),
        values: rates.values.map(finiteOrNull),
      }
    }
    const out = {
      ...base,
      timestamps: buckets.map((b) => b.t),
      values: buckets.map((b) => finiteOrNull(b.avg)),
    }
    if (!summarised) return out
    return {
      ...out,
      min: buckets.map((b) => finiteOrNull(b.min)),
      max: buckets.map((b) => finiteOrNull(b.max)),
    }
  })
}

/**
 * ClickHouse answers a non-finite aggregate (a sum past Float64's range) as null; a rate between
 * two extreme values can overflow too. Either is served as null, never as a failed answer.
 */
function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null
}

/**
 * The newest value of each series (a rate for COUNTER/DERIVE, from its two newest points), up to
 * `now`: a point stamped ahead of the clock (accepted within a few minutes of skew) waits its turn.
 */
export async function lastValues(store: Store, series: SeriesRow[], now: number) {
  if (series.length === 0) return []
  const rows = await store.query<{ fp: string; ts: number; value: number }>(
    sql`SELECT DISTINCT fp, ts, value FROM points
        WHERE fp IN ${param.uint64s(series.map((s) => s.fp))}
          AND ts BETWEEN ${param.uint32(Math.max(0, now - 86_400))} AND ${param.uint32(now)}
        ORDER BY fp, ts DESC LIMIT 2 BY fp`,
  )
  const byFp = groupByFingerprint(rows)
  return series.map((s) => {
    const mine = (byFp.get(s.fp) ?? []).reverse()
    const values = asRates(
      { timestamps: mine.map((r) => r.ts), values: mine.map((r) => r.value) },
      s.counter_type,
    )
    return {
      endpoint: s.endpoint,
      metric: s.metric,
      tags: s.tags,
      counterType: s.counter_type,
      step: s.step,
      timestamp: values.timestamps.at(-1) ?? null,
      value: finiteOrNull(values.values.at(-1) ?? null),
    }
  })
}

function groupByFingerprint<R extends { fp: string }>(rows: R[]): Map<string, R[]> {
  const byFp = new Map<string, R[]>()
  for (const r of rows) {
    const list = byFp.get(r.fp)
    if (list) list.push(r)
    else byFp.set(r.fp, [r])
  }
  return byFp
}
