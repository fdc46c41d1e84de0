import { randomBytes } from 'node:crypto'
import {
  ConflictError,
  IdParam,
  MAX_SILENCES,
  OptionalRevisionQuery,
  type Silence,
  SilenceCreate,
  SilencesQuery,
  SilencesResponse,
  SilenceUpdate,
  SilenceView,
  silenceEndsAt,
  silenceState,
  type Tree,
  type Versioned,
} from '@peregrine/common'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { HttpError, requireRole } from '../auth.ts'
import { FieldError } from '../config/checks.ts'
import { audit, type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { type Place, pathsOf, placeOf, readable, requireWritable, silenceView } from '../config/silences.ts'
import { nodeAt } from '../config/tree-ops.ts'
import { NoContent, responses } from './responses.ts'

/** How long an expired silence is kept to be read (`?state=expired`) before a later create removes it. */
const EXPIRED_KEPT_SECONDS = 7 * 86_400

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** The stored form of a body: the node's id for its path (404 when there is no such node). */
function toStored(body: z.output<typeof SilenceCreate>, tree: Tree) {
  const { match, ...rest } = body
  const node = match.node === undefined ? {} : { node: nodeAt(tree, match.node).id }
  return { ...rest, match: { ...match, ...node } }
}

/** A silence that ends before it could start is a mistake, not a no-op. */
function requireFuture(s: Pick<Silence, 'schedule'>, now: number): void {
  const end = silenceEndsAt(s)
  if (end !== null && end <= now)
    throw new FieldError(`schedule.${s.schedule.kind === 'once' ? 'to' : 'until'}`, 'already over')
}

/**
 * Silences (and maintenance windows: weekly silences). Viewers read those reaching into their
 * scope; deployers and above create, change and delete them within it (docs/silences.md).
 */
export function silenceRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['silences']

  /** A silence the caller may read (404 when there is none, 403 when it does not reach the scope). */
  const load = async (req: FastifyRequest, id: string) => {
    const [s, place] = await Promise.all([ctx.config.silences.get(id), placeOf(ctx)])
    if (!s) throw new HttpError(404, `no silence ${id}`)
    if (!readable(visibilityOf(req), s.value.match, place))
      throw new HttpError(403, `silence ${id} is outside the token's scope ${principalOf(req).scope}`)
    return { s, place }
  }

  /** Names are unique among silences in force, as strategies-as-code refers to them by name. */
  const requireUniqueName = (
    all: Versioned<Silence>[],
    name: string | undefined,
    now: number,
    except?: string,
  ) => {
    if (name === undefined) return
    const clash = all.find(
      (s) => s.value.name === name && s.value.id !== except && silenceState(s.value, now) !== 'expired',
    )
    if (clash) throw new HttpError(409, `a silence named ${name} exists (${clash.value.id})`)
  }

  /** Silences over for a week are removed, audited as Peregrine's own change. */
  const purge = async (all: Versioned<Silence>[], place: Place, now: number) => {
    for (const s of all) {
      const end = silenceEndsAt(s.value)
      if (end === null || now - end < EXPIRED_KEPT_SECONDS) continue
      try {
        await ctx.config.silences.delete(s.value.id, s.revision)
      } catch (err) {
        if (err instanceof ConflictError) continue // another dashboard purged or changed it first
        throw err
      }
      const paths = pathsOf(s.value.match, place)
      await ctx.audit.record({
        actor: 'peregrine',
        action: 'delete',
        kind: 'silence',
        id: s.value.id,
        before: s.value,
        after: null,
        paths,
      })
    }
  }

  r.get(
    '/api/v1/silences',
    { schema: { tags, querystring: SilencesQuery, response: responses(200, SilencesResponse, [400]) } },
    async (req) => {
      const [all, place] = await Promise.all([ctx.config.silences.list(), placeOf(ctx)])
      const now = nowSeconds()
      const wanted = req.query.state
      const silences = all
        .filter((s) => readable(visibilityOf(req), s.value.match, place))
        .map((s) => silenceView(place.tree, s, now))
        .filter((s) =>
          wanted === undefined ? s.state !== 'expired' : wanted === 'all' || s.state === wanted,
        )
      return { silences: silences.sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id)) }
    },
  )

  r.get(
    '/api/v1/silences/:id',
    { schema: { tags, params: IdParam, response: responses(200, SilenceView, [400, 403, 404]) } },
    async (req) => {
      const { s, place } = await load(req, req.params.id)
      return silenceView(place.tree, s, nowSeconds())
    },
  )

  r.post(
    '/api/v1/silences',
    { schema: { tags, body: SilenceCreate, response: responses(201, SilenceView, [400, 403, 404, 409]) } },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'deployer')
      const now = nowSeconds()
      const [all, place] = await Promise.all([ctx.config.silences.list(), placeOf(ctx)])
      const stored = toStored(req.body, place.tree)
      requireWritable(p, visibilityOf(req), stored.match, place)
      requireFuture(stored, now)
      requireUniqueName(all, stored.name, now)
      const inForce = all.filter((s) => silenceState(s.value, now) !== 'expired').length
      if (inForce >= MAX_SILENCES)
        throw new HttpError(
          409,
          `${inForce} silences are in force, the most allowed: delete some or let them expire`,
        )
      await purge(all, place, now)
      const silence: Silence = {
        ...stored,
        id: `si_${randomBytes(6).toString('hex')}`,
        createdBy: p.name,
        createdAt: now,
      }
      const revision = await ctx.config.silences.create(silence.id, silence)
      const paths = pathsOf(silence.match, place)
      await audit(ctx, req, {
        action: 'create',
        kind: 'silence',
        id: silence.id,
        before: null,
        after: silence,
        paths,
      })
      return reply.code(201).send(silenceView(place.tree, { value: silence, revision }, now))
    },
  )

  r.put(
    '/api/v1/silences/:id',
    {
      schema: {
        tags,
        params: IdParam,
        body: SilenceUpdate,
        response: responses(200, SilenceView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      requireRole(p, 'deployer')
      const { s: before, place } = await load(req, req.params.id)
      requireWritable(p, visibilityOf(req), before.value.match, place)
      const { revision, ...body } = req.body
      const stored = toStored(body, place.tree)
      requireWritable(p, visibilityOf(req), stored.match, place)
      const now = nowSeconds()
      requireFuture(stored, now)
      requireUniqueName(await ctx.config.silences.list(), stored.name, now, req.params.id)
      // `name` is set even when absent from the body: left out, it is removed, not kept from before.
      const silence: Silence = { ...before.value, ...stored, name: stored.name }
      const next = await ctx.config.silences.update(silence.id, silence, revision)
      await audit(ctx, req, {
        action: 'update',
        kind: 'silence',
        id: silence.id,
        before: before.value,
        after: silence,
        paths: [...new Set([...pathsOf(before.value.match, place), ...pathsOf(silence.match, place)])],
      })
      return silenceView(place.tree, { value: silence, revision: next }, now)
    },
  )

  r.delete(
    '/api/v1/silences/:id',
    {
      schema: {
        tags,
        params: IdParam,
        querystring: OptionalRevisionQuery,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const p = principalOf(req)
      requireRole(p, 'deployer')
      const { s, place } = await load(req, req.params.id)
      requireWritable(p, visibilityOf(req), s.value.match, place)
      await ctx.config.silences.delete(req.params.id, req.query.revision)
      const paths = pathsOf(s.value.match, place)
      await audit(ctx, req, {
        action: 'delete',
        kind: 'silence',
        id: req.params.id,
        before: s.value,
        after: null,
        paths,
      })
      return reply.code(204).send()
    },
  )
}
