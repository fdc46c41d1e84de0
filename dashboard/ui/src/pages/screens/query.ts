import type { MetricQuery } from '../../chart/history.ts'
import type { ChartQueryView } from './types.ts'

/** The prefix of `web-*`; null for an exact endpoint. */
export const endpointPrefix = (pattern: string): string | null =>
  pattern.endsWith('*') ? pattern.slice(0, -1) : null

/** A screen's query as the charts load it: `web-*` is the prefix `web-`. */
export function metricQuery({ endpoint, metric, tags }: ChartQueryView): MetricQuery {
  const prefix = endpointPrefix(endpoint)
  return prefix === null ? { endpoint, metric, tags } : { endpoint: prefix, prefix: true, metric, tags }
}
