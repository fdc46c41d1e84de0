import { randomBytes } from 'node:crypto'
import {
  IdParam,
  StrategiesQuery,
  StrategiesResponse,
  type Strategy,
  StrategyCreate,
  StrategyUpdate,
  StrategyView,
  type Tree,
  type Versioned,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { canRead, HttpError, type Principal, requireRole, requireScope } from '../auth.ts'
import { requireOutbound, requireTeams } from '../config/checks.ts'
import { audit, type ConfigContext, principalOf } from '../config/context.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { deleteBoundRoute } from './delete-bound.ts'
import { responses } from './responses.ts'

/** Strategies bound to tree nodes, and expressions (node null) across all endpoints. */
export function strategyRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['strategies']

  const view = (tree: Tree, s: Versioned<Strategy>) => ({
    ...s.value,
    node: s.value.node === null ? null : (tree.path(s.value.node) ?? null),
    revision: s.revision,
  })

  /** The node id for a path (null for expressions), checking the caller may write there. */
  const target = (p: Principal, tree: Tree, path: string | null) => {
    requireScope(p, path ?? '')
    return path === null ? null : nodeAt(tree, path).id
  }

  /** Names are unique within a node (and among expressions): strategies-as-code refers by name. */
  const checkUnique = async (node: string | null, name: string, except?: string) => {
    const clash = (await ctx.config.strategies.list()).find(
      (s) => s.value.node === node && s.value.name === name && s.value.id !== except,
    )
    if (clash) throw new HttpError(409, `a strategy named ${name} is already bound there (${clash.value.id})`)
  }

  /** What a strategy points at outside itself: teams that exist, a callback that may be called. */
  const checkReferences = async (s: { receivers: string[]; callbackUrl?: string | undefined }) => {
    requireOutbound(ctx.outbound, 'callbackUrl', s.callbackUrl)
    await requireTeams(ctx.config, s.receivers)
  }

  const load = (p: Principal, id: string) => loadStrategy(ctx, p, id)

  const listStrategies = {
    tags,
    querystring: StrategiesQuery,
    response: responses(200, StrategiesResponse, [400, 404]),
  }
  r.get('/api/v1/strategies', { schema: listStrategies }, async (req) => {
    const p = principalOf(req)
    const [{ tree }, all] = await Promise.all([ctx.config.tree(), ctx.config.strategies.list()])
    const node = req.query.node === undefined ? undefined : nodeAt(tree, req.query.node).id
    const list = all
      .filter((s) => node === undefined || s.value.node === node)
      .filter(
        (s) =>
          req.query.expressions === undefined ||
          (s.value.node === null) === (req.query.expressions === 'true'),
      )
      .map((s) => view(tree, s))
      .filter((s) => canRead(p, s.node ?? ''))
    return { strategies: list.sort((a, b) => `${a.node}/${a.name}`.localeCompare(`${b.node}/${b.name}`)) }
  })

  const readStrategy = { tags, params: IdParam, response: responses(200, StrategyView, [400, 403, 404]) }
  r.get('/api/v1/strategies/:id', { schema: readStrategy }, async (req) => {
    const { s, tree } = await load(principalOf(req), req.params.id)
    return view(tree, s)
  })

  const createStrategy = {
    tags,
    body: StrategyCreate,
    response: responses(201, StrategyView, [400, 403, 404, 409]),
  }
  r.post('/api/v1/strategies', { schema: createStrategy }, async (req, reply) => {
    const p = principalOf(req)
    requireRole(p, 'editor')
    const { tree } = await ctx.config.tree()
    const node = target(p, tree, req.body.node)
    await checkUnique(node, req.body.name)
    await checkReferences(req.body)
    const strategy: Strategy = { ...req.body, id: `s_${randomBytes(6).toString('hex')}`, node }
    const revision = await ctx.config.strategies.create(strategy.id, strategy)
    await audit(ctx, req, {
      action: 'create',
      kind: 'strategy',
      id: strategy.id,
      before: null,
      after: strategy,
      paths: [req.body.node ?? ''],
    })
    return reply.code(201).send(view(tree, { value: strategy, revision }))
  })

  r.put(
    '/api/v1/strategies/:id',
    {
      schema: {
        tags,
        params: IdParam,
        body: StrategyUpdate,
        response: responses(200, StrategyView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { s: before, tree, path } = await load(p, req.params.id)
      requireScope(p, path)
      const { revision, ...spec } = req.body
      const node = target(p, tree, spec.node)
      await checkUnique(node, spec.name, req.params.id)
      await checkReferences(spec)
      const strategy: Strategy = { ...spec, id: req.params.id, node }
      const next = await ctx.config.strategies.update(req.params.id, strategy, revision)
      await audit(ctx, req, {
        action: 'update',
        kind: 'strategy',
        id: strategy.id,
        before: before.value,
        after: strategy,
        paths: [path, spec.node ?? ''],
      })
      return view(tree, { value: strategy, revision: next })
    },
  )

  deleteBoundRoute(app, ctx, {
    url: '/api/v1/strategies/:id',
    tags,
    kind: 'strategy',
    load,
    collection: ctx.config.strategies,
  })
}

/**
 * A stored strategy the caller may read (404 when there is none, 403 outside the token's view),
 * the tree it was read with and the path of its node ('' for an expression).
 */
export async function loadStrategy(ctx: ConfigContext, p: Principal, id: string) {
  const s = await ctx.config.strategies.get(id)
  if (!s) throw new HttpError(404, `no strategy ${id}`)
  const { tree } = await ctx.config.tree()
  const path = s.value.node === null ? '' : (tree.path(s.value.node) ?? '')
  if (!canRead(p, path)) throw new HttpError(403, `strategy ${id} is outside the token's scope ${p.scope}`)
  return { s, tree, path }
}
