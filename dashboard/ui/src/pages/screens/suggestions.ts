import type { Api } from '../../api.ts'
import type { EndpointInfo, SeriesInfo } from '../../types.ts'
import { endpointPrefix } from './query.ts'

const SHOWN = 50

/** Endpoints whose names start with what is typed (a trailing `*` is the pattern's, not the name's). */
export async function suggestEndpoints(api: Api, text: string, signal: AbortSignal): Promise<string[]> {
  const prefix = endpointPrefix(text) ?? text
  const { endpoints } = await api.get<{ endpoints: EndpointInfo[] }>(
    '/api/v1/endpoints',
    { prefix, limit: SHOWN },
    signal,
  )
  return endpoints.map((e) => e.endpoint).sort()
}

/** Metrics starting with what is typed, of the endpoints the query names (any, while it names none). */
export function suggestMetrics(endpoint: string) {
  return async (api: Api, text: string, signal: AbortSignal): Promise<string[]> => {
    const { series } = await api.get<{ series: SeriesInfo[] }>(
      '/api/v1/series',
      { endpoint: endpointPrefix(endpoint) ?? endpoint, metric: text, limit: 1000 },
      signal,
    )
    return [...new Set(series.map((s) => s.metric))].sort().slice(0, SHOWN)
  }
}
