import { type EventEntry, EventsQuery, EventsResponse, FiringQuery, type Store } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { type EventFilter, queryEvents, queryFiring } from '../event-queries.ts'
import { responses } from './responses.ts'

/**
 * The judges' events: history and what is firing now. A scoped token reads the events of hosts
 * bound within its scope (by the tree paths the event recorded); naming a host outside is a 403.
 */
export function eventRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const route = <Q extends typeof EventsQuery | typeof FiringQuery>(
    url: string,
    summary: string,
    querystring: Q,
    query: (store: Store, f: EventFilter) => Promise<EventEntry[]>,
  ) =>
    app.withTypeProvider<ZodTypeProvider>().get(
      url,
      {
        schema: {
          tags: ['events'],
          summary,
          querystring,
          response: responses(200, EventsResponse, [400, 403]),
        },
      },
      async (req) => {
        const q = req.query as z.output<Q>
        if (q.host !== undefined) await visibilityOf(req).requireEndpoint(q.host)
        return { events: await query(ctx.store, { ...q, scope: principalOf(req).scope }) }
      },
    )
  route('/api/v1/events', 'Search events, newest first', EventsQuery, queryEvents)
  route(
    '/api/v1/events/firing',
    'What is in PROBLEM now: the last event of every key that is firing',
    FiringQuery,
    queryFiring,
  )
}
