import {
  type EventEntry,
  HealthQuery,
  HealthResponse,
  MAX_HEALTH_EVENTS,
  type Silence,
  silenceActiveAt,
  silenced,
  Tree,
  type Versioned,
} from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { HttpError, requireScope } from '../auth.ts'
import { type ConfigContext, principalOf } from '../config/context.ts'
import { type Place, placeOf, reaches, silenceView } from '../config/silences.ts'
import { queryFiring } from '../event-queries.ts'
import { lastValues, seriesOfMetric } from '../queries.ts'
import { responses } from './responses.ts'

/** What every agent sends each step as its heartbeat; the judge's host-heartbeat strategy watches it too. */
const HEARTBEAT_METRIC = 'agent.alive'
/** Steps without a heartbeat before a host counts as down: the judge's default (30 s at a 10 s step). */
const HEARTBEAT_STEPS = 3
/** Firing events read at most; beyond, the counts say "at least". */
const FIRING_READ = 10_000
/** Host names a reason lists before "…". */
const NAMED_HOSTS = 10

const nowSeconds = () => Math.floor(Date.now() / 1000)

/** A node by path, else by id (404 when neither): the deploy system may hold either. */
function pathOf(tree: Tree, ref: string): string {
  const node = tree.byPath.get(ref) ?? tree.byId.get(ref)
  const path = node && tree.path(node.id)
  if (path === undefined) throw new HttpError(404, `no tree node ${ref}`)
  return path
}

const hostsUnder = (place: Place, path: string) =>
  [...place.bound].filter(([, paths]) => paths.some((p) => Tree.within(p, path))).map(([host]) => host)

/**
 * The hosts whose newest heartbeat is older than three of its steps, or than the step `since`
 * falls in (a host restarted by the deploy must have reported since), or that sent none in a day.
 */
async function withoutHeartbeat(ctx: ConfigContext, hosts: string[], now: number, since: number | undefined) {
  const series = await seriesOfMetric(ctx.store, {
    endpoints: hosts,
    metric: HEARTBEAT_METRIC,
    tags: '',
    limit: hosts.length * 4,
  })
  const newest = new Map<string, { ts: number; step: number }>()
  for (const s of await lastValues(ctx.store, series, now)) {
    const seen = newest.get(s.endpoint)
    if (s.timestamp !== null && (!seen || s.timestamp > seen.ts))
      newest.set(s.endpoint, { ts: s.timestamp, step: s.step })
  }
  const up = (b: { ts: number; step: number } | undefined) =>
    b !== undefined &&
    now - b.ts <= HEARTBEAT_STEPS * b.step &&
    (since === undefined || b.ts + b.step > since)
  return hosts
    .filter((h) => !up(newest.get(h)))
    .sort()
    .map((host) => ({ host, lastHeartbeat: newest.get(host)?.ts ?? null }))
}

const PRIORITIES = [0, 1, 2, 3, 4, 5, 6] as const

function byPriority(events: EventEntry[]) {
  const counts = { P0: 0, P1: 0, P2: 0, P3: 0, P4: 0, P5: 0, P6: 0 }
  for (const e of events) counts[`P${e.strategy.priority}` as keyof typeof counts]++
  return counts
}

function reasonsOf(
  counted: EventEntry[],
  truncated: boolean,
  down: { host: string }[],
  hostCount: number,
): string[] {
  const reasons: string[] = []
  if (counted.length) {
    const counts = byPriority(counted)
    const parts = PRIORITIES.filter((p) => counts[`P${p}`] > 0).map((p) => `P${p} ×${counts[`P${p}`]}`)
    reasons.push(
      `${truncated ? 'at least ' : ''}${counted.length} firing event(s) not silenced: ${parts.join(', ')}`,
    )
  }
  if (down.length) {
    const names = down.slice(0, NAMED_HOSTS).map((d) => d.host)
    const more = down.length > NAMED_HOSTS ? ', …' : ''
    reasons.push(`${down.length} of ${hostCount} host(s) without a heartbeat: ${names.join(', ')}${more}`)
  }
  return reasons
}

/**
 * The deploy gate: whether a subtree is healthy, in one call — no firing event left unsilenced
 * (of the priorities asked; the deploy's own silence silences nothing here), every host with a
 * recent heartbeat (docs/deploy-gate.md). Only a token that sees the whole subtree may ask: a
 * verdict over part of it would mislead.
 */
export function healthRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/v1/health',
    {
      schema: {
        tags: ['deploy gate'],
        summary: 'Is a subtree healthy: firing unsilenced events, hosts without heartbeat, active silences',
        querystring: HealthQuery,
        response: responses(200, HealthResponse, [400, 403, 404]),
      },
    },
    async (req) => {
      const p = principalOf(req)
      const { since, maxPriority, ownSilence } = req.query
      const now = nowSeconds()
      const [place, stored] = await Promise.all([placeOf(ctx), ctx.config.silences.list()])
      const path = pathOf(place.tree, req.query.node)
      requireScope(p, path)
      const hosts = hostsUnder(place, path)
      const [firing, down] = await Promise.all([
        queryFiring(ctx.store, { node: path, scope: p.scope, limit: FIRING_READ }),
        withoutHeartbeat(ctx, hosts, now, since),
      ])
      const active: Versioned<Silence>[] = stored.filter((s) => silenceActiveAt(s.value, now))
      // The deploy's own silence keeps people from being paged, not the gate from seeing what broke.
      const holding = active.map((s) => s.value).filter((s) => s.id !== ownSilence)
      const loud = firing.filter((e) => silenced(holding, e, now, place.tree).length === 0)
      const counted = loud.filter((e) => e.strategy.priority <= maxPriority)
      const reasons = reasonsOf(counted, firing.length >= FIRING_READ, down, hosts.length)
      return {
        node: path,
        healthy: reasons.length === 0,
        reasons,
        checkedAt: now,
        firing: {
          total: loud.length,
          byPriority: byPriority(loud),
          silenced: firing.length - loud.length,
          events: loud.slice(0, MAX_HEALTH_EVENTS),
        },
        hosts: { total: hosts.length, withoutHeartbeat: down },
        silences: active
          .filter((s) => reaches(s.value.match, path, place))
          .map((s) => silenceView(place.tree, s, now)),
      }
    },
  )
}
