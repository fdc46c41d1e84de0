import {
  type EventEntry,
  EventsQuery,
  EventsResponse,
  type FiringEntry,
  FiringQuery,
  FiringResponse,
} from '@peregrine/common'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { ackView, standing } from '../acks.ts'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { type EventFilter, queryEvents, queryFiring } from '../event-queries.ts'
import { responses } from './responses.ts'

/**
 * The judges' events: history and what is firing now (with who acknowledged it). A scoped token
 * reads the events of hosts bound within its scope (by the tree paths the event recorded);
 * naming a host outside is a 403.
 */
export function eventRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['events']
  r.get(
    '/api/v1/events',
    {
      schema: {
        tags,
        summary: 'Search events, newest first',
        querystring: EventsQuery,
        response: responses(200, EventsResponse, [400, 403]),
      },
    },
    async (req) => ({ events: await queryEvents(ctx.store, await filterOf(req, req.query)) }),
  )
  r.get(
    '/api/v1/events/firing',
    {
      schema: {
        tags,
        summary:
          'What is in PROBLEM now: the last event of every key that is firing, and its acknowledgement',
        querystring: FiringQuery,
        response: responses(200, FiringResponse, [400, 403]),
      },
    },
    async (req) => ({
      events: await withAcks(ctx, await queryFiring(ctx.store, await filterOf(req, req.query))),
    }),
  )
}

async function filterOf(req: FastifyRequest, q: Omit<EventFilter, 'scope'>): Promise<EventFilter> {
  if (q.host !== undefined) await visibilityOf(req).requireEndpoint(q.host)
  return { ...q, scope: principalOf(req).scope }
}

/** Each firing event with the acknowledgement of its PROBLEM, where one stands. */
async function withAcks(ctx: ConfigContext, events: EventEntry[]): Promise<FiringEntry[]> {
  const stored = await Promise.all(events.map((e) => ctx.config.acks.get(e.key)))
  const acks = await standing(
    ctx.store,
    stored.flatMap((a) => (a ? [a.value] : [])),
  )
  const byKey = new Map(acks.map((a) => [a.key, ackView(a)]))
  return events.map((e) => ({ ...e, ack: byKey.get(e.key) ?? null }))
}
