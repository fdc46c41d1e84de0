import { randomBytes } from 'node:crypto'
import {
  IdParam,
  type KvCollection,
  NameParam,
  RevisionQuery,
  SubscriptionCreate,
  SubscriptionsResponse,
  SubscriptionUpdate,
  SubscriptionView,
  TeamView,
  TeamWrite,
  TokenCreate,
  TokenCreated,
  TokensResponse,
  Tree,
  type User,
  UserView,
  UserWrite,
  WhoAmI,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import {
  HttpError,
  isGlobalAdmin,
  issueToken,
  outranks,
  type Principal,
  requireRole,
  requireScope,
} from '../auth.ts'
import { requireOutbound } from '../config/checks.ts'
import { audit, type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { NoContent, responses } from './responses.ts'

/** Users, teams, subscriptions of teams to subtrees, and API tokens. Writes need the admin role. */
export function accessRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  // Contact details (email, phone, an IM webhook that is itself a secret) go only to those who
  // may change them; everyone else needs the names, e.g. to pick a strategy's receivers.
  const userShown = (u: User, p: Principal) => (isGlobalAdmin(p) ? u : { name: u.name })
  namedRoutes(app, ctx, 'users', 'user', ctx.config.users, UserWrite, UserView, userShown, (u) =>
    requireOutbound(ctx.outbound, 'imWebhook', u.imWebhook),
  )
  namedRoutes(app, ctx, 'teams', 'team', ctx.config.teams, TeamWrite, TeamView, (t) => t)
  subscriptionRoutes(app, ctx)
  tokenRoutes(app, ctx)
}

/** Users and teams belong to no subtree: changing them needs an admin of the whole tree. */
function requireGlobalAdmin(p: Principal): void {
  requireRole(p, 'admin')
  requireScope(p, '')
}

/** List, read, create-or-update (by name, with revision) and delete for a named collection. */
function namedRoutes<S extends z.ZodType<{ name: string }>>(
  app: FastifyInstance,
  ctx: ConfigContext,
  plural: string,
  kind: string,
  collection: KvCollection<S>,
  body: z.ZodType<z.input<S> & { name: string; revision?: number | undefined }>,
  /** The stored value with its revision, as answered. */
  view: z.ZodType,
  /** What of a stored value the caller may see. */
  shown: (value: z.output<S>, p: Principal) => object,
  /** What the schema cannot judge alone; throws to refuse. */
  check: (value: z.input<S>) => void = () => undefined,
): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['access']
  const list = z.object({ [plural]: z.array(view) })
  r.get(`/api/v1/${plural}`, { schema: { tags, response: responses(200, list) } }, async (req) => ({
    [plural]: (await collection.list()).map((v) => ({
      ...shown(v.value, principalOf(req)),
      revision: v.revision,
    })),
  }))
  const readOne = { tags, params: NameParam, response: responses(200, view, [400, 404]) }
  r.get(`/api/v1/${plural}/:name`, { schema: readOne }, async (req) => {
    const v = await collection.get(req.params.name)
    if (!v) throw new HttpError(404, `no ${kind} ${req.params.name}`)
    return { ...shown(v.value, principalOf(req)), revision: v.revision }
  })
  r.put(
    `/api/v1/${plural}/:name`,
    {
      schema: {
        tags,
        summary: `Create (no revision) or update (with the revision read) a ${kind}`,
        params: NameParam,
        body,
        response: responses(200, view, [400, 403, 409]),
      },
    },
    async (req) => {
      requireGlobalAdmin(principalOf(req))
      const { revision, ...value } = req.body as z.infer<typeof body>
      if (value.name !== req.params.name) throw new HttpError(400, 'name in the body and the path differ')
      check(value as z.input<S>)
      const before = await collection.get(req.params.name)
      const next =
        revision === undefined
          ? await collection.create(req.params.name, value as z.input<S>)
          : await collection.update(req.params.name, value as z.input<S>, revision)
      await audit(ctx, req, {
        action: before ? 'update' : 'create',
        kind,
        id: req.params.name,
        before: before?.value ?? null,
        after: value,
        paths: [],
      })
      return { ...value, revision: next }
    },
  )
  r.delete(
    `/api/v1/${plural}/:name`,
    {
      schema: {
        tags,
        params: NameParam,
        querystring: RevisionQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      requireGlobalAdmin(principalOf(req))
      const before = await collection.get(req.params.name)
      if (!before) throw new HttpError(404, `no ${kind} ${req.params.name}`)
      await collection.delete(req.params.name, req.query.revision)
      await audit(ctx, req, {
        action: 'delete',
        kind,
        id: req.params.name,
        before: before.value,
        after: null,
        paths: [],
      })
      return reply.code(204).send()
    },
  )
}

function subscriptionRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['access']

  /** The node id for a subscription's path, after checking the caller's role, scope and the team. */
  const target = async (p: Principal, body: { team: string; node: string }) => {
    requireRole(p, 'admin')
    requireScope(p, body.node)
    if (!(await ctx.config.teams.get(body.team))) throw new HttpError(404, `no team ${body.team}`)
    const { tree } = await ctx.config.tree()
    return nodeAt(tree, body.node).id
  }
  /** A stored subscription the caller may change. */
  const load = async (p: Principal, id: string) => {
    const sub = await ctx.config.subscriptions.get(id)
    if (!sub) throw new HttpError(404, `no subscription ${id}`)
    const { tree } = await ctx.config.tree()
    const path = tree.path(sub.value.node) ?? ''
    requireRole(p, 'admin')
    requireScope(p, path)
    return { sub, path }
  }

  const listSubscriptions = { tags, response: responses(200, SubscriptionsResponse) }
  r.get('/api/v1/subscriptions', { schema: listSubscriptions }, async (req) => {
    const visible = visibilityOf(req)
    const { tree } = await ctx.config.tree()
    const list = await ctx.config.subscriptions.list()
    return {
      subscriptions: list
        .map((s) => ({ ...s.value, node: tree.path(s.value.node) ?? null, revision: s.revision }))
        .filter((s) => s.node !== null && visible.node(s.node)),
    }
  })
  const createSubscription = {
    tags,
    body: SubscriptionCreate,
    response: responses(201, SubscriptionView, [400, 403, 404]),
  }
  r.post('/api/v1/subscriptions', { schema: createSubscription }, async (req, reply) => {
    const sub = {
      ...req.body,
      id: `sub_${randomBytes(6).toString('hex')}`,
      node: await target(principalOf(req), req.body),
    }
    const revision = await ctx.config.subscriptions.create(sub.id, sub)
    await audit(ctx, req, {
      action: 'create',
      kind: 'subscription',
      id: sub.id,
      before: null,
      after: sub,
      paths: [req.body.node],
    })
    return reply.code(201).send({ ...sub, node: req.body.node, revision })
  })
  r.put(
    '/api/v1/subscriptions/:id',
    {
      schema: {
        tags,
        params: IdParam,
        body: SubscriptionUpdate,
        response: responses(200, SubscriptionView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      const before = await load(p, req.params.id)
      const { revision, ...body } = req.body
      const sub = { ...body, id: req.params.id, node: await target(p, body) }
      const next = await ctx.config.subscriptions.update(req.params.id, sub, revision)
      await audit(ctx, req, {
        action: 'update',
        kind: 'subscription',
        id: sub.id,
        before: before.sub.value,
        after: sub,
        paths: [before.path, body.node],
      })
      return { ...sub, node: body.node, revision: next }
    },
  )
  r.delete(
    '/api/v1/subscriptions/:id',
    {
      schema: {
        tags,
        params: IdParam,
        querystring: RevisionQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const { sub, path } = await load(principalOf(req), req.params.id)
      await ctx.config.subscriptions.delete(req.params.id, req.query.revision)
      await audit(ctx, req, {
        action: 'delete',
        kind: 'subscription',
        id: req.params.id,
        before: sub.value,
        after: null,
        paths: [path],
      })
      return reply.code(204).send()
    },
  )
}

function tokenRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['access']
  /** Tokens as shown: never the hash. */
  const view = <T extends { hash: string }>({ hash: _hash, ...t }: T) => t

  // An admin lists the tokens it could have created: those scoped within its own scope.
  const me = {
    tags,
    summary: "The caller's token: name, role and scope",
    response: responses(200, WhoAmI, []),
  }
  r.get('/api/v1/me', { schema: me }, async (req) => {
    const { tokenId, name, role, scope } = principalOf(req)
    return { tokenId, name, role, scope }
  })

  const listTokens = { tags, response: responses(200, TokensResponse, [403]) }
  r.get('/api/v1/tokens', { schema: listTokens }, async (req) => {
    const p = principalOf(req)
    requireRole(p, 'admin')
    return {
      tokens: (await ctx.config.tokens.list())
        .filter((t) => Tree.within(t.value.scope, p.scope))
        .map((t) => ({ ...view(t.value), revision: t.revision })),
    }
  })
  r.post(
    '/api/v1/tokens',
    {
      schema: {
        tags,
        summary: 'Create a token; its text is returned once and only its hash is kept',
        body: TokenCreate,
        response: responses(201, TokenCreated, [400, 403]),
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'admin')
      requireScope(p, req.body.scope)
      if (!outranks(p, req.body.role)) throw new HttpError(403, 'a token cannot grant more than its own role')
      const { record: token, text } = await issueToken(ctx.config, req.body, p.name)
      await audit(ctx, req, {
        action: 'create',
        kind: 'token',
        id: token.id,
        before: null,
        after: view(token),
        paths: [token.scope],
      })
      return reply.code(201).send({ ...view(token), token: text })
    },
  )
  const deleteToken = { tags, params: IdParam, response: responses(204, NoContent, [400, 403, 404]) }
  r.delete('/api/v1/tokens/:id', { schema: deleteToken }, async (req, reply) => {
    const p = principalOf(req)
    requireRole(p, 'admin')
    const before = await ctx.config.tokens.get(req.params.id)
    if (!before) throw new HttpError(404, `no token ${req.params.id}`)
    requireScope(p, before.value.scope)
    await ctx.config.tokens.delete(req.params.id)
    await audit(ctx, req, {
      action: 'delete',
      kind: 'token',
      id: req.params.id,
      before: view(before.value),
      after: null,
      paths: [before.value.scope],
    })
    return reply.code(204).send()
  })
}
