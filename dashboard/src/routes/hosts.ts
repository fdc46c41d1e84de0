import {
  HostBindings,
  HostParam,
  HostStrategiesResponse,
  HostsResponse,
  HostView,
  StrategyResolver,
  UnassignedHostsResponse,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { HttpError, requireRole, requireScope } from '../auth.ts'
import { audit, type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { seriesOfEndpoint } from '../host-queries.ts'
import { listEndpoints } from '../queries.ts'
import { responses } from './responses.ts'

/** Hosts: their bindings to tree nodes, the strategies that apply to them, and unassigned ones. */
export function hostRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['hosts']

  r.get(
    '/api/v1/hosts',
    {
      schema: {
        tags,
        summary: 'Bound hosts with their nodes, last seen and agent version',
        response: responses(200, HostsResponse),
      },
    },
    async (req) => {
      const visible = visibilityOf(req)
      const [{ tree }, records, seen] = await Promise.all([
        ctx.config.tree(),
        ctx.config.hosts.list(),
        lastSeen(ctx),
      ])
      const hosts = records
        .filter((h) => visible.host(h.value.nodes.flatMap((n) => tree.path(n) ?? [])))
        .map((h) => ({
          ...h.value,
          nodes: h.value.nodes.map((n) => tree.path(n) ?? n),
          revision: h.revision,
          ...seen.get(h.value.host),
        }))
      return { hosts: hosts.sort((a, b) => a.host.localeCompare(b.host)) }
    },
  )

  r.get(
    '/api/v1/hosts/unassigned',
    {
      schema: {
        tags,
        summary:
          'Hosts that report (through an agent or by push) but that no tree node holds (whole-tree tokens; empty for others)',
        response: responses(200, UnassignedHostsResponse),
      },
    },
    async (req) => {
      if (!visibilityOf(req).wholeTree) return { hosts: [] }
      const [records, seen] = await Promise.all([ctx.config.hosts.list(), lastSeen(ctx)])
      const bound = new Set(records.filter((h) => h.value.nodes.length > 0).map((h) => h.value.host))
      const hosts = [...seen.entries()].filter(([host]) => !bound.has(host))
      return { hosts: hosts.map(([host, s]) => ({ host, ...s })) }
    },
  )

  r.put(
    '/api/v1/hosts/:host/nodes',
    {
      schema: {
        tags,
        summary: 'Bind a host to tree nodes (replaces its bindings)',
        params: HostParam,
        body: HostBindings,
        response: responses(200, HostView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { tree } = await ctx.config.tree()
      const ids = req.body.nodes.map((path) => {
        requireScope(p, path)
        return nodeAt(tree, path).id
      })
      const current = await ctx.config.hosts.get(req.params.host)
      // Bindings outside the caller's scope are not the caller's to drop.
      for (const n of current?.value.nodes ?? []) if (!ids.includes(n)) requireScope(p, tree.path(n) ?? '')
      const record = { ...current?.value, host: req.params.host, nodes: [...new Set(ids)] }
      const revision =
        req.body.revision === 0
          ? await ctx.config.hosts.create(req.params.host, record)
          : await ctx.config.hosts.update(req.params.host, record, req.body.revision)
      await audit(ctx, req, {
        action: current ? 'update' : 'create',
        kind: 'host',
        id: req.params.host,
        before: current?.value ?? null,
        after: record,
        paths: [...(current?.value.nodes ?? []).flatMap((n) => tree.path(n) ?? []), ...req.body.nodes],
      })
      return { ...record, nodes: req.body.nodes, revision }
    },
  )

  r.get(
    '/api/v1/hosts/:host/strategies',
    {
      schema: {
        tags,
        summary:
          'The strategies that apply to a host, with the node each comes from, then the expressions that select one of its series',
        params: HostParam,
        response: responses(200, HostStrategiesResponse, [400, 403, 404]),
      },
    },
    async (req) => {
      const [{ tree }, record, strategies] = await Promise.all([
        ctx.config.tree(),
        ctx.config.hosts.get(req.params.host),
        ctx.config.strategies.list(),
      ])
      if (!record) throw new HttpError(404, `host ${req.params.host} is not bound to the tree`)
      if (!visibilityOf(req).host(record.value.nodes.flatMap((n) => tree.path(n) ?? [])))
        throw new HttpError(403, `host ${req.params.host} is not bound within the token's scope`)
      const resolver = new StrategyResolver(
        tree,
        strategies.map((s) => s.value),
      )
      const series = await seriesOfEndpoint(
        ctx.store,
        req.params.host,
        resolver.expressions.map((e) => e.metric),
      )
      return {
        host: req.params.host,
        strategies: [
          ...resolver.forHost(record.value.nodes).map((e) => ({ ...e.strategy, from: tree.path(e.node) })),
          ...resolver.expressionsFor(series),
        ],
      }
    },
  )
}

async function lastSeen(ctx: ConfigContext) {
  const rows = await listEndpoints(ctx.store, '', 100_000, null)
  return new Map(rows.map((e) => [e.endpoint, { lastSeen: e.seen, agentVersion: e.agent }]))
}
