import { AckBody, AckView, EventKeyParam } from '@peregrine/common'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import {
  type AckedEvent,
  type Acknowledger,
  acknowledge,
  ackView,
  latestEvent,
  unacknowledge,
} from '../acks.ts'
import { HttpError, requireRole } from '../auth.ts'
import { type ConfigContext, principalOf, visibilityOf } from '../config/context.ts'
import { NoContent, responses } from './responses.ts'

/**
 * Acknowledging a key's current PROBLEM stops its repeats and escalation. It changes no
 * configuration, so it is the deployer's as much as the editor's (like a silence): any token of
 * deployer rank or above whose scope holds one of the event's hosts' nodes.
 */
export function ackRoutes(app: FastifyInstance, ctx: ConfigContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>()
  const tags = ['events']
  r.post(
    '/api/v1/events/:key/ack',
    {
      schema: {
        tags,
        summary: "Acknowledge the key's current PROBLEM; answers the acknowledgement that stands",
        params: EventKeyParam,
        body: AckBody.nullish(),
        response: responses(200, AckView, [400, 403, 404, 409]),
      },
    },
    async (req) => {
      const event = await actionable(ctx, req, req.params.key)
      if (event.status === 'OK')
        throw new HttpError(409, `${event.key} is OK: there is no PROBLEM to acknowledge`)
      const p = principalOf(req)
      const ack = {
        key: event.key,
        eventId: event.id,
        by: p.name,
        at: Date.now(),
        note: req.body?.note ?? '',
        via: 'api' as const,
      }
      return ackView((await acknowledge(ctx, ack, actorOf(req), event.paths)).ack)
    },
  )
  r.delete(
    '/api/v1/events/:key/ack',
    {
      schema: {
        tags,
        summary: "Withdraw the key's acknowledgement: repeats and escalation resume",
        params: EventKeyParam,
        response: responses(204, NoContent, [400, 403, 404, 409]),
      },
    },
    async (req, reply) => {
      const event = await actionable(ctx, req, req.params.key)
      if (!(await unacknowledge(ctx, event.key, actorOf(req), event.paths)))
        throw new HttpError(404, `${event.key} is not acknowledged`)
      return reply.code(204).send()
    },
  )
}

/** The key's newest event, if the caller may act on it. */
async function actionable(ctx: ConfigContext, req: FastifyRequest, key: string): Promise<AckedEvent> {
  requireRole(principalOf(req), 'deployer')
  const event = await latestEvent(ctx.store, key)
  if (!event) throw new HttpError(404, `no event has the key ${key}`)
  if (!visibilityOf(req).host(event.paths))
    throw new HttpError(403, `${key} is about ${event.endpoint}, outside the token's scope`)
  return event
}

function actorOf(req: FastifyRequest): Acknowledger {
  const p = principalOf(req)
  return { actor: p.name, actorId: p.tokenId }
}
