import { EventsQuery, EventsResponse, FiringQuery } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { queryEvents, queryFiring } from '../event-queries.ts'
import { responses } from './responses.ts'

/**
 * The judges' events: history and what is firing now. A scoped token reads the events of hosts
 * bound within its scope (by the tree paths the event recorded); naming a host outside is a 403.
 */
export function eventRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  r.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Search events, newest first',
        querystring: EventsQuery,
        response: responses(200, EventsResponse, [400, 403]),
      },
    },
    async (req) => {
      if (req.query.host !== undefined) await visibilityOf(req).requireEndpoint(req.query.host)
      return { events: await queryEvents(ctx.store, { ...req.query, scope: principalOf(req).scope }) }
    },
  )
  r.get(
    '/api/v1/events/firing',
    {
      schema: {
        tags: ['events'],
        summary: 'What is in PROBLEM now: the last event of every key that is firing',
        querystring: FiringQuery,
        response: responses(200, EventsResponse, [400, 403]),
      },
    },
    async (req) => {
      if (req.query.host !== undefined) await visibilityOf(req).requireEndpoint(req.query.host)
      return { events: await queryFiring(ctx.store, { ...req.query, scope: principalOf(req).scope }) }
    },
  )
}
