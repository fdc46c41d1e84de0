import type { Api } from '../../api.ts'
import type { ChartSeries } from '../../chart/Chart.tsx'
import type { EndpointInfo, HistoryResponse } from '../../types.ts'
import type { ChartQueryView, ScreenChartView } from './types.ts'

/** Most endpoints one prefix query draws: a chart of hundreds of lines says nothing. */
export const MAX_ENDPOINTS_PER_QUERY = 20

/** The prefix of `web-*`; null for an exact endpoint. */
export const endpointPrefix = (pattern: string): string | null =>
  pattern.endsWith('*') ? pattern.slice(0, -1) : null

/** `web-1 df.bytes.used.percent{mount=/}`: a line's name in the legend. */
export const seriesLabel = (s: { endpoint: string; metric: string; tags: string }) =>
  `${s.endpoint} ${s.metric}${s.tags ? `{${s.tags}}` : ''}`

export interface ChartData {
  series: ChartSeries[]
  /** What the reader should know: a prefix that matched nothing or too much, a query refused. */
  notes: string[]
}

/** The endpoints a query draws: itself, or those the endpoint list has under its prefix. */
async function expand(
  api: Api,
  q: ChartQueryView,
  signal: AbortSignal,
): Promise<{ endpoints: string[]; note?: string }> {
  const prefix = endpointPrefix(q.endpoint)
  if (prefix === null) return { endpoints: [q.endpoint] }
  const { endpoints } = await api.get<{ endpoints: EndpointInfo[] }>(
    '/api/v1/endpoints',
    { prefix, limit: MAX_ENDPOINTS_PER_QUERY + 1 },
    signal,
  )
  const names = endpoints.map((e) => e.endpoint).sort()
  if (names.length === 0) return { endpoints: [], note: `${q.endpoint} matches no endpoint` }
  if (names.length <= MAX_ENDPOINTS_PER_QUERY) return { endpoints: names }
  return {
    endpoints: names.slice(0, MAX_ENDPOINTS_PER_QUERY),
    note: `${q.endpoint} matches more than ${MAX_ENDPOINTS_PER_QUERY} endpoints: the first ${MAX_ENDPOINTS_PER_QUERY} are drawn`,
  }
}

/**
 * The lines of a chart over [from, to]: each query's endpoints (a prefix expanded), then the
 * history of each; a series two queries select is drawn once. A refused history call (an endpoint
 * outside the token's scope) becomes a note, and the other lines are still drawn.
 */
export async function loadChart(
  api: Api,
  chart: ScreenChartView,
  from: number,
  to: number,
  signal: AbortSignal,
): Promise<ChartData> {
  const expanded = await Promise.all(chart.queries.map((q) => expand(api, q, signal)))
  const notes = expanded.flatMap((e) => (e.note ? [e.note] : []))
  const targets = expanded.flatMap((e, i) => {
    const { metric, tags } = chart.queries[i]!
    return e.endpoints.map((endpoint) => ({ endpoint, metric, tags }))
  })
  const answers = await Promise.allSettled(
    targets.map((t) => api.get<HistoryResponse>('/api/v1/history', { ...t, from, to }, signal)),
  )
  const series = new Map<string, ChartSeries>()
  answers.forEach((a, i) => {
    if (a.status === 'rejected') {
      notes.push(`${seriesLabel(targets[i]!)}: ${(a.reason as Error).message}`)
      return
    }
    for (const s of a.value.series) {
      const label = seriesLabel(s)
      if (!series.has(label)) series.set(label, { label, timestamps: s.timestamps, values: s.values })
    }
  })
  return { series: [...series.values()], notes }
}
