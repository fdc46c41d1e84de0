import {
  DeleteQuery,
  NodeCreate,
  NodeHostsResponse,
  NodeMove,
  NodeUpdate,
  NodeView,
  PathParam,
  RecursiveQuery,
  type TreeNode,
  TreeResponse,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { canRead, HttpError, requireReadable, requireRole, requireScope } from '../auth.ts'
import { audit, type ConfigContext, principalOf } from '../config/context.ts'
import { checkVersion, mutateTree, newNodeId, nodeAt, nodeView, splitPath } from '../config/tree-ops.ts'
import { NoContent, responses } from './responses.ts'

/** The service tree: nodes by dotted path, with create, edit, move/rename and delete. */
export function treeRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['tree']

  const listNodes = { tags, summary: 'Every node the token may see', response: responses(200, TreeResponse) }
  r.get('/api/v1/tree', { schema: listNodes }, async (req) => {
    const p = principalOf(req)
    const { tree } = await ctx.config.tree()
    const nodes = tree.doc.nodes.map((n) => nodeView(tree, n)).filter((n) => canRead(p, n.path))
    return { nodes: nodes.sort((a, b) => a.path.localeCompare(b.path)) }
  })

  const readNode = { tags, params: PathParam, response: responses(200, NodeView, [400, 403, 404]) }
  r.get('/api/v1/tree/:path', { schema: readNode }, async (req) => {
    requireReadable(principalOf(req), req.params.path)
    const { tree } = await ctx.config.tree()
    return nodeView(tree, nodeAt(tree, req.params.path))
  })

  r.post(
    '/api/v1/tree',
    {
      schema: {
        tags,
        summary: 'Create a node',
        body: NodeCreate,
        response: responses(201, NodeView, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      requireScope(p, req.body.path)
      const { parent, name } = splitPath(req.body.path)
      const node = await mutateTree(ctx.config, (tree) => {
        if (tree.byPath.has(req.body.path)) throw new HttpError(409, `${req.body.path} exists`)
        const parentNode = parent === null ? null : nodeAt(tree, parent)
        const { path: _path, ...attributes } = req.body
        const created: TreeNode = {
          ...attributes,
          id: newNodeId(),
          parent: parentNode?.id ?? null,
          name,
          version: 1,
        }
        return { nodes: [...tree.doc.nodes, created], result: created }
      })
      await audit(ctx, req, {
        action: 'create',
        kind: 'tree',
        id: req.body.path,
        before: null,
        after: node,
        paths: [req.body.path],
      })
      return reply.code(201).send({ ...node, path: req.body.path })
    },
  )

  r.put(
    '/api/v1/tree/:path',
    {
      schema: {
        tags,
        summary: 'Edit owners, note, exclusions',
        params: PathParam,
        body: NodeUpdate,
        response: responses(200, NodeView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      requireScope(p, req.params.path)
      const { version, ...changes } = req.body
      const [before, after] = await mutateTree(ctx.config, (tree) => {
        const node = nodeAt(tree, req.params.path)
        checkVersion(node, version, req.params.path)
        const updated = { ...node, ...changes, version: node.version + 1 }
        return { nodes: tree.doc.nodes.map((n) => (n.id === node.id ? updated : n)), result: [node, updated] }
      })
      await audit(ctx, req, {
        action: 'update',
        kind: 'tree',
        id: req.params.path,
        before,
        after,
        paths: [req.params.path],
      })
      return { ...after, path: req.params.path }
    },
  )

  r.post(
    '/api/v1/tree/:path/move',
    {
      schema: {
        tags,
        summary: 'Rename or move a subtree',
        params: PathParam,
        body: NodeMove,
        response: responses(200, NodeView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      requireScope(p, req.params.path)
      requireScope(p, req.body.to)
      const { parent, name } = splitPath(req.body.to)
      const moved = await mutateTree(ctx.config, (tree) => {
        const node = nodeAt(tree, req.params.path)
        checkVersion(node, req.body.version, req.params.path)
        if (tree.byPath.has(req.body.to)) throw new HttpError(409, `${req.body.to} exists`)
        const newParent = parent === null ? null : nodeAt(tree, parent)
        if (newParent && tree.subtree(node.id).includes(newParent.id))
          throw new HttpError(400, 'a node cannot move below itself')
        const updated = { ...node, parent: newParent?.id ?? null, name, version: node.version + 1 }
        return { nodes: tree.doc.nodes.map((n) => (n.id === node.id ? updated : n)), result: updated }
      })
      await audit(ctx, req, {
        action: 'move',
        kind: 'tree',
        id: req.params.path,
        before: { path: req.params.path },
        after: { path: req.body.to },
        paths: [req.params.path, req.body.to],
      })
      return { ...moved, path: req.body.to }
    },
  )

  r.delete(
    '/api/v1/tree/:path',
    {
      schema: {
        tags,
        summary:
          'Delete a node; with cascade=true also its subtree, strategies, bindings and subscriptions (silences on it, its escalation policy and its screens go in any case)',
        params: PathParam,
        querystring: DeleteQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      requireScope(p, req.params.path)
      const [hosts, strategies, subscriptions, silences, policies, screens] = await Promise.all([
        ctx.config.hosts.list(),
        ctx.config.strategies.list(),
        ctx.config.subscriptions.list(),
        ctx.config.silences.list(),
        ctx.config.escalationPolicies.list(),
        ctx.config.screens.list(),
      ])
      const removed = await mutateTree(ctx.config, (tree) => {
        const node = nodeAt(tree, req.params.path)
        checkVersion(node, req.query.version, req.params.path)
        const ids = new Set(tree.subtree(node.id))
        if (!req.query.cascade) {
          const blockers = [
            ids.size > 1 && 'child nodes',
            hosts.some((h) => h.value.nodes.some((n) => ids.has(n))) && 'hosts',
            strategies.some((s) => s.value.node !== null && ids.has(s.value.node)) && 'strategies',
          ].filter(Boolean)
          if (blockers.length)
            throw new HttpError(
              409,
              `${req.params.path} still has ${blockers.join(', ')}; delete with cascade=true`,
            )
        }
        return { nodes: tree.doc.nodes.filter((n) => !ids.has(n.id)), result: ids }
      })
      // The tree no longer has these nodes, so what still refers to them is ignored from now on;
      // removing those references is cleanup, not part of the atomic change.
      for (const s of strategies)
        if (s.value.node !== null && removed.has(s.value.node)) await ctx.config.strategies.delete(s.value.id)
      for (const s of subscriptions)
        if (removed.has(s.value.node)) await ctx.config.subscriptions.delete(s.value.id)
      // A silence on a node that is gone matches nothing (its node must hold), a policy applies nowhere,
      // a screen is shown nowhere.
      for (const s of silences)
        if (s.value.match.node !== undefined && removed.has(s.value.match.node))
          await ctx.config.silences.delete(s.value.id)
      for (const pol of policies)
        if (removed.has(pol.value.node)) await ctx.config.escalationPolicies.delete(pol.value.node)
      for (const sc of screens) if (removed.has(sc.value.node)) await ctx.config.screens.delete(sc.value.id)
      for (const h of hosts) {
        const nodes = h.value.nodes.filter((n) => !removed.has(n))
        if (nodes.length !== h.value.nodes.length)
          await ctx.config.hosts
            .update(h.value.host, { ...h.value, nodes }, h.revision)
            .catch(() => undefined)
      }
      await audit(ctx, req, {
        action: 'delete',
        kind: 'tree',
        id: req.params.path,
        before: { nodes: [...removed] },
        after: null,
        paths: [req.params.path],
      })
      return reply.code(204).send()
    },
  )

  r.get(
    '/api/v1/tree/:path/hosts',
    {
      schema: {
        tags,
        summary: 'Hosts bound to the node (and below, with recursive=true)',
        params: PathParam,
        querystring: RecursiveQuery,
        response: responses(200, NodeHostsResponse, [400, 403, 404]),
      },
    },
    async (req) => {
      requireReadable(principalOf(req), req.params.path)
      const { tree } = await ctx.config.tree()
      const node = nodeAt(tree, req.params.path)
      const ids = new Set(req.query.recursive ? tree.subtree(node.id) : [node.id])
      const hosts = (await ctx.config.hosts.list())
        .filter((h) => h.value.nodes.some((n) => ids.has(n)))
        .map((h) => ({ host: h.value.host, nodes: h.value.nodes.map((n) => tree.path(n) ?? n) }))
      return { hosts: hosts.sort((a, b) => a.host.localeCompare(b.host)) }
    },
  )
}
