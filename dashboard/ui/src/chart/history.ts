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
  /**
   * What the reader should know beside the lines: a prefix that matched no endpoint or more than
   * are charted, a line whose history was refused (e.g. an endpoint outside the token's scope).
   */
  notes: string[]
}

/**
 * The most endpoints a prefix query charts. Past the palette's 16 colours lines share colours and
 * the legend no longer tells them apart; and every endpoint is one history request, which a
 * screen (up to 50 charts of up to 20 queries) makes for each of its prefix queries at once.
 */
export const MAX_PREFIX_ENDPOINTS = 20

/** `web-* cpu.busy{core=0}`, as lists of queries and notes name one. */
export function describeQuery(q: MetricQuery): string {
  const endpoint = q.prefix ? `${q.endpoint}*` : q.endpoint
  const tags = q.untagged ? ' (untagged)' : q.tags ? `{${q.tags}}` : ''
  return `${endpoint} ${q.metric}${tags}`
}

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

/**
 * The lines a query draws, one history request each (a prefix expanded to exact endpoints), and
 * a note when the prefix matches no endpoint or more than are charted.
 */
async function linesOf(
  api: Api,
  q: MetricQuery,
  signal: AbortSignal,
): Promise<{ lines: MetricQuery[]; note?: string }> {
  if (!q.prefix) return { lines: [q] }
  const endpoints = await endpointsOf(api, q, signal)
  const lines = endpoints
    .slice(0, MAX_PREFIX_ENDPOINTS)
    .map((endpoint) => ({ ...q, endpoint, prefix: false }))
  if (endpoints.length === 0) return { lines, note: `${describeQuery(q)} matches no endpoint` }
  if (endpoints.length <= MAX_PREFIX_ENDPOINTS) return { lines }
  return {
    lines,
    note: `${describeQuery(q)} matches more than ${MAX_PREFIX_ENDPOINTS} endpoints: the first ${MAX_PREFIX_ENDPOINTS} are drawn`,
  }
}

async function historyOf(
  api: Api,
  line: MetricQuery,
  w: Window,
  signal: AbortSignal,
): Promise<ColumnSeries[]> {
  const bytes = await api.getBytes(
    '/api/v1/history',
    {
      endpoint: line.endpoint,
      metric: line.metric,
      tags: line.untagged ? '' : line.tags,
      from: w.from,
      to: w.to,
      step: w.step,
    },
    signal,
  )
  const res = await decodeHistory(bytes)
  return line.untagged ? res.series.filter((s) => s.tags === '') : res.series
}

/** The series a query list selects, each once: two queries may both select one. */
function once(series: readonly ColumnSeries[]): ColumnSeries[] {
  const seen = new Set<string>()
  return series.filter((s) => {
    const key = `${s.endpoint}\u0000${s.metric}\u0000${s.tags}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The series of all the queries over the window: one history request per endpoint and metric. A
 * history request that fails becomes a note and the other lines are still drawn; failing to
 * expand a prefix fails the whole load.
 */
export async function loadSeries(
  api: Api,
  queries: readonly MetricQuery[],
  w: Window,
  signal: AbortSignal,
): Promise<LoadedSeries> {
  const expanded = await Promise.all(queries.map((q) => linesOf(api, q, signal)))
  const notes = expanded.flatMap((e) => (e.note ? [e.note] : []))
  const lines = expanded.flatMap((e) => e.lines)
  const answers = await Promise.allSettled(lines.map((line) => historyOf(api, line, w, signal)))
  const series = answers.flatMap((a, i) => {
    if (a.status === 'fulfilled') return a.value
    notes.push(`${describeQuery(lines[i]!)}: ${(a.reason as Error).message}`)
    return []
  })
  return { ...w, series: once(series), notes }
}

/** `web-1 net.if.in.bytes{iface=eth0} /s`: counters are read back as rates, and say so. */
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
