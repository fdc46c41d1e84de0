import { z } from 'zod'
import { AlertEvent } from '../model/event.ts'
import { NOTIFICATION_CHANNELS, NOTIFICATION_OUTCOMES, NotificationRecord } from '../model/notification.ts'
import { NodePath } from '../model/tree.ts'

/** Query-string schema and response shape of GET /api/v1/notifications. */

const unixSeconds = z.coerce.number().int().nonnegative().max(4_294_967_295)

export const NotificationsQuery = z
  .strictObject({
    key: AlertEvent.shape.key.optional().describe('Records of notifications about this event key'),
    event: AlertEvent.shape.id.optional().describe('Records of notifications about this event id'),
    receiver: z.string().min(1).max(128).optional().describe('User or team name, or `callback`'),
    channel: z.enum(NOTIFICATION_CHANNELS).optional(),
    outcome: z.enum(NOTIFICATION_OUTCOMES).optional(),
    node: NodePath.optional().describe('Records about hosts bound at or below this tree node'),
    host: z.string().min(1).max(255).optional().describe('Records about this endpoint'),
    from: unixSeconds.optional().describe('Oldest attempt, unix seconds (inclusive)'),
    to: unixSeconds.optional().describe('Newest attempt, unix seconds (inclusive, to the second)'),
    limit: z.coerce.number().int().positive().max(1000).default(100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  })
export type NotificationsQuery = z.infer<typeof NotificationsQuery>

/** A record as the API answers it: `at` in unix seconds like every time, the address maybe masked. */
export const NotificationEntry = NotificationRecord.safeExtend({
  at: z.number().nonnegative().describe('Unix seconds, with milliseconds as the fraction'),
  address: z.string().describe('Where it went; contacts masked unless the token is a whole-tree admin'),
})
export type NotificationEntry = z.infer<typeof NotificationEntry>

export const NotificationsResponse = z.object({ records: z.array(NotificationEntry) })
export type NotificationsResponse = z.infer<typeof NotificationsResponse>
