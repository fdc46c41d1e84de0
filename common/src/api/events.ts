import { z } from 'zod'
import { Ack } from '../model/ack.ts'
import { AlertEvent, EVENT_KINDS, EVENT_STATUSES } from '../model/event.ts'
import { NodePath } from '../model/tree.ts'

/** Query-string schemas and response shape of the events API (GET /api/v1/events, /events/firing). */

const unixSeconds = z.coerce.number().int().nonnegative().max(4_294_967_295)

const EventFilters = {
  node: NodePath.optional().describe('Events of hosts bound at or below this tree node'),
  host: z.string().min(1).max(255).optional().describe('Events of this endpoint'),
  strategy: z.string().min(1).max(128).optional().describe('Events of this strategy id'),
  priority: z.coerce.number().int().min(0).max(6).optional().describe('Only this priority'),
  kind: z.enum(EVENT_KINDS).optional(),
  limit: z.coerce.number().int().positive().max(1000).default(100),
}

export const EventsQuery = z
  .strictObject({
    ...EventFilters,
    status: z.enum(EVENT_STATUSES).optional(),
    from: unixSeconds.optional().describe('Oldest event time, unix seconds (inclusive)'),
    to: unixSeconds.optional().describe('Newest event time, unix seconds (inclusive)'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  })
export type EventsQuery = z.infer<typeof EventsQuery>

export const FiringQuery = z.strictObject(EventFilters)
export type FiringQuery = z.infer<typeof FiringQuery>

/** An event as the API answers it: judgedAt in unix seconds (with milliseconds) like every time. */
export const EventEntry = AlertEvent.extend({
  judgedAt: z.number().nonnegative().describe('Unix seconds, with milliseconds as the fraction'),
})
export type EventEntry = z.infer<typeof EventEntry>

export const EventsResponse = z.object({ events: z.array(EventEntry) })
export type EventsResponse = z.infer<typeof EventsResponse>

/** An acknowledgement as the API answers it: `at` in unix seconds. */
export const AckView = Ack.extend({
  at: z.number().nonnegative().describe('Unix seconds, with milliseconds as the fraction'),
})
export type AckView = z.infer<typeof AckView>

/** A firing event and, when someone has acknowledged its PROBLEM, who and when. */
export const FiringEntry = EventEntry.extend({ ack: AckView.nullable() })
export type FiringEntry = z.infer<typeof FiringEntry>

export const FiringResponse = z.object({ events: z.array(FiringEntry) })
export type FiringResponse = z.infer<typeof FiringResponse>

export const EventKeyParam = z.object({ key: AlertEvent.shape.key })

export const AckBody = z.strictObject({
  note: Ack.shape.note.optional().describe('What is being done about it'),
})
export type AckBody = z.infer<typeof AckBody>
