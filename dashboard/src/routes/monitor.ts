import {
  EndpointsQuery,
  EndpointsResponse,
  HistoryQuery,
  HistoryResponse,
  LastQuery,
  LastResponse,
  SeriesQuery,
  SeriesResponse,
  type Store,
} from '@peregrine/common'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { visibilityOf } from '../config/context.ts'
import { history, lastValues, listEndpoints, searchSeries } from '../queries.ts'
import { chooseResolution, type Retention } from '../resolution.ts'
import { RollupHorizon } from '../rollup-horizon.ts'
import { SeriesCatalog } from '../series-catalog.ts'
import { responses, uncheckedSerializer } from './responses.ts'

const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * The monitor API: what is there (endpoints, series) and what it said (history, last values), for
 * the endpoints the token may read; naming one it may not read is 403.
 */
export function monitorRoutes(app: FastifyInstance, store: Store, retention: Retention): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['monitor']
  const catalog = new SeriesCatalog(store)
  const horizon = new RollupHorizon(store)
  /** The series a history or last-value request names, once every endpoint is checked readable. */
  const named = async (req: FastifyRequest, q: { endpoint: string[]; metric: string[]; tags: string }) => {
    const visibility = visibilityOf(req)
    for (const endpoint of q.endpoint) await visibility.requireEndpoint(endpoint)
    return catalog.matching(q.endpoint, q.metric, q.tags)
  }

  r.get(
    '/api/v1/endpoints',
    {
      schema: {
        tags,
        summary: 'Endpoints with their last-seen time',
        querystring: EndpointsQuery,
        response: responses(200, EndpointsResponse, [400]),
      },
    },
    async (req) => {
      const only = await visibilityOf(req).endpoints()
      const rows = await listEndpoints(store, req.query.prefix, req.query.limit, only)
      return {
        endpoints: rows.map((e) => ({ endpoint: e.endpoint, agent: e.agent, lastSeen: e.seen })),
      }
    },
  )

  r.get(
    '/api/v1/series',
    {
      schema: {
        tags,
        summary: 'Search series by endpoint/metric prefix and tags',
        querystring: SeriesQuery,
        response: responses(200, SeriesResponse, [400]),
      },
    },
    async (req) => {
      const rows = await searchSeries(store, req.query, await visibilityOf(req).endpoints())
      return {
        series: rows.map((s) => ({
          endpoint: s.endpoint,
          metric: s.metric,
          tags: s.tags,
          counterType: s.counter_type,
          step: s.step,
          lastSeen: s.last_seen,
        })),
      }
    },
  )

  r.get(
    '/api/v1/history',
    {
      schema: {
        tags,
        summary:
          'Points of the matching series of some metrics of some endpoints over a range, raw or from a rollup; counters as rates',
        querystring: HistoryQuery,
        response: responses(200, HistoryResponse, [400, 403]),
      },
      // history() builds the arrays from ClickHouse's UInt32 and Float64 columns (numbers, or null
      // for a non-finite one); checking and copying each of a million took as long as building them.
      serializerCompiler: uncheckedSerializer,
    },
    async (req, reply) => {
      const now = nowSeconds()
      const to = req.query.to ?? now
      const from = req.query.from ?? Math.max(0, to - 3600)
      // The schema checks from < to only when both are given; this covers the defaults.
      if (from >= to)
        return reply.code(400).send({
          error: 'Bad Request',
          field: 'from',
          message: 'querystring.from: from must be before to',
        })
      const series = await named(req, req.query)
      const nativeStep = Math.min(...series.map((s) => s.step), 60)
      const choice = chooseResolution({ from, to, step: req.query.step }, nativeStep, retention, now)
      const unrolled = choice.resolution === 'raw' ? null : await horizon.oldestUnrolled()
      return { from, to, series: await history(store, series, { from, to, now, unrolled, ...choice }) }
    },
  )

  r.get(
    '/api/v1/last',
    {
      schema: {
        tags,
        summary: 'Newest value of the matching series of some metrics of some endpoints',
        querystring: LastQuery,
        response: responses(200, LastResponse, [400, 403]),
      },
    },
    async (req) => {
      return { series: await lastValues(store, await named(req, req.query), nowSeconds()) }
    },
  )
}
