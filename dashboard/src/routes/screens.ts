import { randomBytes } from 'node:crypto'
import {
  IdParam,
  SCREEN_LIMITS,
  type Screen,
  ScreenCreate,
  ScreensQuery,
  ScreensResponse,
  ScreenUpdate,
  ScreenView,
  type Tree,
  type Versioned,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { canRead, HttpError, type Principal, requireReadable, requireRole, requireScope } from '../auth.ts'
import { FieldError } from '../config/checks.ts'
import { audit, type ConfigContext, principalOf } from '../config/context.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { deleteBoundRoute } from './delete-bound.ts'
import { responses } from './responses.ts'

const nowSeconds = () => Math.floor(Date.now() / 1000)

const view = (tree: Tree, s: Versioned<Screen>) => ({
  ...s.value,
  node: tree.path(s.value.node) ?? null,
  nodeId: s.value.node,
  revision: s.revision,
})

/** Whether the token sees a screen: on a node in its view; one whose node is gone, whole-tree tokens. */
const readable = (p: Principal, path: string | null) => (path === null ? p.scope === '' : canRead(p, path))

/** A stored screen must fit in a KV value: 50 charts of 20 queries of the longest names would not. */
function requireSize(screen: Screen): void {
  const bytes = Buffer.byteLength(JSON.stringify(screen))
  if (bytes > SCREEN_LIMITS.bytes)
    throw new FieldError(
      'charts',
      `the screen is ${Math.ceil(bytes / 1024)} KiB, more than ${SCREEN_LIMITS.bytes / 1024} KiB: split it`,
    )
}

/**
 * Screens: saved grids of charts bound to tree nodes. Read like what is bound to nodes (the
 * token's scope, below it and the nodes above it), written by editors within their scope.
 */
export function screenRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['screens']
  const screens = ctx.config.screens

  /** The screen, if the caller may read it (404, 403 otherwise), the tree and its node's path. */
  const load = async (p: Principal, id: string) => {
    const [s, { tree }] = await Promise.all([screens.get(id), ctx.config.tree()])
    if (!s) throw new HttpError(404, `no screen ${id}`)
    const path = tree.path(s.value.node) ?? null
    if (!readable(p, path)) throw new HttpError(403, `screen ${id} is outside the token's scope ${p.scope}`)
    return { s, tree, path }
  }

  /** The node id for a path the caller may write at (403) and that exists (404). */
  const placeAt = (p: Principal, tree: Tree, path: string) => {
    requireScope(p, path)
    return nodeAt(tree, path).id
  }

  /** Names are unique within a node (strategies-as-code refers by node and name); a node holds a bounded number. */
  const requireRoom = async (node: string, path: string, name: string, except?: string) => {
    const others = (await screens.list()).filter((s) => s.value.node === node && s.value.id !== except)
    const clash = others.find((s) => s.value.name === name)
    if (clash) throw new HttpError(409, `a screen named ${name} is already on ${path} (${clash.value.id})`)
    if (others.length >= SCREEN_LIMITS.perNode)
      throw new HttpError(409, `${path} has ${others.length} screens, the most allowed: delete some first`)
  }

  r.get(
    '/api/v1/screens',
    {
      schema: {
        tags,
        summary: "Screens in the token's view, or of one node (and the nodes above it)",
        querystring: ScreensQuery,
        response: responses(200, ScreensResponse, [400, 403, 404]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      const [{ tree }, all] = await Promise.all([ctx.config.tree(), screens.list()])
      const { node: path, inherited } = req.query
      let nodes: Set<string> | undefined
      if (path !== undefined) {
        requireReadable(p, path)
        const id = nodeAt(tree, path).id
        nodes = new Set(inherited ? tree.lineage(id) : [id])
      }
      const list = all
        .filter((s) => nodes === undefined || nodes.has(s.value.node))
        .map((s) => view(tree, s))
        .filter((s) => readable(p, s.node))
      return {
        screens: list.sort(
          (a, b) => (a.node ?? '').localeCompare(b.node ?? '') || a.name.localeCompare(b.name),
        ),
      }
    },
  )

  r.get(
    '/api/v1/screens/:id',
    { schema: { tags, params: IdParam, response: responses(200, ScreenView, [400, 403, 404]) } },
    async (req) => {
      const { s, tree } = await load(principalOf(req), req.params.id)
      return view(tree, s)
    },
  )

  r.post(
    '/api/v1/screens',
    { schema: { tags, body: ScreenCreate, response: responses(201, ScreenView, [400, 403, 404, 409]) } },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { tree } = await ctx.config.tree()
      const { node: path, ...fields } = req.body
      const node = placeAt(p, tree, path)
      await requireRoom(node, path, fields.name)
      const now = nowSeconds()
      const screen: Screen = {
        ...fields,
        id: `sc_${randomBytes(6).toString('hex')}`,
        node,
        createdBy: p.name,
        createdAt: now,
        updatedBy: p.name,
        updatedAt: now,
      }
      requireSize(screen)
      const revision = await screens.create(screen.id, screen)
      await audit(ctx, req, {
        action: 'create',
        kind: 'screen',
        id: screen.id,
        before: null,
        after: screen,
        paths: [path],
      })
      return reply.code(201).send(view(tree, { value: screen, revision }))
    },
  )

  r.put(
    '/api/v1/screens/:id',
    {
      schema: {
        tags,
        summary: 'Replace a screen (its node too: a move) at the revision read',
        params: IdParam,
        body: ScreenUpdate,
        response: responses(200, ScreenView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'editor')
      const { s: before, tree, path: from } = await load(p, req.params.id)
      requireScope(p, from ?? '')
      const { revision, node: path, ...fields } = req.body
      const node = placeAt(p, tree, path)
      await requireRoom(node, path, fields.name, req.params.id)
      const screen: Screen = { ...before.value, ...fields, node, updatedBy: p.name, updatedAt: nowSeconds() }
      requireSize(screen)
      const next = await screens.update(screen.id, screen, revision)
      await audit(ctx, req, {
        action: 'update',
        kind: 'screen',
        id: screen.id,
        before: before.value,
        after: screen,
        paths: [...new Set([from ?? '', path])],
      })
      return view(tree, { value: screen, revision: next })
    },
  )

  deleteBoundRoute(app, ctx, {
    url: '/api/v1/screens/:id',
    tags,
    kind: 'screen',
    // A screen whose node is gone is deleted by whole-tree editors.
    load: (p, id) => load(p, id).then(({ s, path }) => ({ s, path: path ?? '' })),
    collection: screens,
  })
}
