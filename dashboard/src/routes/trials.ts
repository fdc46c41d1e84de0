import {
  BacktestRequest,
  BacktestResponse,
  EvaluateRequest,
  EvaluateResponse,
  evaluatePoints,
  type Strategy,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { requireReadable } from '../auth.ts'
import { backtest, endpointsOf, trialEvent } from '../backtest.ts'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { responses, uncheckedSerializer } from './responses.ts'
import { loadStrategy } from './strategies.ts'

/** 100,000 points with their JSON around them fit; the API's other bodies keep 1 MiB. */
const EVALUATE_BODY_LIMIT = 8 * 1024 * 1024

/**
 * Trying a strategy before it pages someone: over points given (evaluate) or over stored history
 * (backtest). Both use the judge's own evaluator (evaluatePoints) and store and send nothing, so
 * every role may call them; a backtest reads only the endpoints the token may read.
 */
export function trialRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['strategies']

  r.post(
    '/api/v1/strategies/evaluate',
    {
      bodyLimit: EVALUATE_BODY_LIMIT,
      schema: {
        tags,
        summary: 'The events a strategy would raise over points given in the request; nothing is stored',
        body: EvaluateRequest,
        response: responses(200, EvaluateResponse, [400]),
      },
    },
    async (req) => {
      const { strategy, series, points, also, until, timeZone } = req.body
      const { node: _node, ...spec } = strategy
      const r = evaluatePoints({ ...spec, enabled: true }, series, points, {
        ...(also !== undefined && { also }),
        ...(until !== undefined && { until }),
        ...(timeZone !== undefined && { timeZone }),
      })
      return { events: r.events.map(trialEvent), ignored: r.ignored }
    },
  )

  r.post(
    '/api/v1/strategies/backtest',
    {
      schema: {
        tags,
        summary: 'The events a strategy (stored or given) would have raised over stored history, per series',
        body: BacktestRequest,
        response: responses(200, BacktestResponse, [400, 403, 404]),
      },
      // Checking each verdict against the schema took a third of the request.
      serializerCompiler: uncheckedSerializer,
    },
    async (req) => {
      const p = principalOf(req)
      const body = req.body
      const [{ tree }, strategies, hosts] = await Promise.all([
        ctx.config.tree(),
        ctx.config.strategies.list(),
        ctx.config.hosts.list(),
      ])
      let strategy: Strategy
      if (typeof body.strategy === 'string') strategy = (await loadStrategy(ctx, p, body.strategy)).s.value
      else {
        const { node: path, ...spec } = body.strategy
        if (path !== null) requireReadable(p, path)
        strategy = { ...spec, id: 'trial', node: path === null ? null : nodeAt(tree, path).id }
      }
      const endpoints = endpointsOf(
        strategy,
        { tree, strategies: strategies.map((s) => s.value), hosts: hosts.map((h) => h.value) },
        await visibilityOf(req).endpoints(),
        body.endpoints,
      )
      const result = await backtest(ctx.store, strategy, endpoints, body)
      return {
        from: body.from,
        to: body.to,
        strategy: typeof body.strategy === 'string' ? strategy.id : null,
        ...result,
      }
    },
  )
}
