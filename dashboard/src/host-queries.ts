import { param, type Store, sql } from '@peregrine/common'

/** The distinct metric + tags of `endpoint`'s series whose metric is one of `metrics`. */
export function seriesOfEndpoint(store: Store, endpoint: string, metrics: readonly string[]) {
  if (metrics.length === 0) return Promise.resolve([])
  return store.query<{ metric: string; tags: string }>(
    sql`SELECT DISTINCT metric, tags FROM series
        WHERE endpoint = ${param.string(endpoint)} AND has(${param.strings([...metrics])}, metric)`,
  )
}
