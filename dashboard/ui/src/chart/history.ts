import type { Api } from '../api.ts'
import type { SeriesInfo } from '../types.ts'
import type { ChartSeries } from './Chart.tsx'
import type { ColumnSeries } from './columns.ts'
import { decodeHistory } from './decode-history.ts'

/** Which series a chart shows: one metric of one endpoint (or of every endpoint with a prefix). */
export interface MetricQuery {
  endpoint: string
  /** `endpoint` is a prefix: the metric of every endpoint whose name starts with it. */
  prefix?: boolean
  metric: string
  /** `k=v,k2=v2`: tags the series must have (a subset); '' for any. */
  tags: string
  /** Only the series without any tag (e.g. all CPUs together, not each core). */
  untagged?: boolean
}

/** The time window asked for; `step` fixes the seconds per point, else the API chooses. */
export interface Window {
  from: number
  to: number
  step?: number
}

export interface LoadedSeries extends Window {
  series: ColumnSeries[]
  /** Prefix queries that matched more endpoints than are charted. */
  cut: MetricQuery[]
}

/** The most endpoints a prefix query charts: more lines than that are no longer readable. */
export const MAX_PREFIX_ENDPOINTS = 50

/** The endpoints a prefix query stands for: those having the metric (and tags), sorted. */
async function endpointsOf(api: Api, q: MetricQuery, signal: AbortSignal): Promise<string[]> {
  const tag = q.tags ? q.tags.split(',') : undefined
  const { series } = await api.get<{ series: SeriesInfo[] }>(
    '/api/v1/series',
    { endpoint: q.endpoint, metric: q.metric, tag, limit: 10_000 },
    signal,
  )
  const names = new Set<string>()
  for (const s of series) if (s.metric === q.metric) names.add(s.endpoint)
  return [...names]
}

async function historyOf(
  api: Api,
  endpoint: string,
  q: MetricQuery,
  w: Window,
  signal: AbortSignal,
): Promise<ColumnSeries[]> {
  const bytes = await api.getBytes(
    '/api/v1/history',
    { endpoint, metric: q.metric, tags: q.untagged ? '' : q.tags, from: w.from, to: w.to, step: w.step },
    signal,
  )
  const res = await decodeHistory(bytes)
  return q.untagged ? res.series.filter((s) => s.tags === '') : res.series
}

/** The series of all the queries over the window: one history request per endpoint and metric. */
export async function loadSeries(
  api: Api,
  queries: readonly MetricQuery[],
  w: Window,
  signal: AbortSignal,
): Promise<LoadedSeries> {
  const cut: MetricQuery[] = []
  const perQuery = await Promise.all(
    queries.map(async (q) => {
      if (!q.prefix) return historyOf(api, q.endpoint, q, w, signal)
      const endpoints = await endpointsOf(api, q, signal)
      if (endpoints.length > MAX_PREFIX_ENDPOINTS) cut.push(q)
      const each = await Promise.all(
        endpoints.slice(0, MAX_PREFIX_ENDPOINTS).map((e) => historyOf(api, e, q, w, signal)),
      )
      return each.flat()
    }),
  )
  // A series two queries both match is charted once.
  const seen = new Set<string>()
  const series = perQuery.flat().filter((s) => {
    const key = `${s.endpoint}\u0000${s.metric}\u0000${s.tags}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
  return { ...w, series, cut }
}

/**
 * `web-1 net.if.in.bytes{iface=eth0} /s` (as screens name their lines): counters are read back
 * as rates, and say so.
 */
export function seriesLabel(s: Omit<ColumnSeries, 'timestamps' | 'values'>, withEndpoint = true): string {
  const name = `${s.metric}${s.tags ? `{${s.tags}}` : ''}${s.counterType === 'GAUGE' ? '' : ' /s'}`
  return withEndpoint ? `${s.endpoint} ${name}` : name
}

/** What the chart draws of each series; the arrays are the answer's, not copies. */
export function toChartSeries(series: readonly ColumnSeries[], withEndpoint = true): ChartSeries[] {
  return series.map((s) => ({
    label: seriesLabel(s, withEndpoint),
    timestamps: s.timestamps,
    values: s.values,
    // A series stored every minute and read at a 10 s step still has a point only each minute.
    interval: Math.max(s.interval, s.step),
  }))
}
