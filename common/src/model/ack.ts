import { z } from 'zod'
import { AlertEvent } from './event.ts'

export const ACK_VIA = ['api', 'link'] as const

/**
 * Someone has seen a PROBLEM and is on it: repeats and escalation stop. Kept per event key; it
 * stands while no OK of the key has followed `eventId` (readers compare, nobody has to clear it),
 * so the next PROBLEM after a recovery is unacknowledged again.
 */
export const Ack = z.strictObject({
  key: AlertEvent.shape.key,
  /** The PROBLEM acknowledged: the key's newest event when it was acknowledged. */
  eventId: AlertEvent.shape.id,
  /** The token's name (API), or whom the link was sent to (`link` when it did not say). */
  by: z.string().min(1).max(256),
  /** Unix milliseconds. */
  at: z
    .number()
    .int()
    .nonnegative()
    .max(Date.UTC(2299, 11, 31)),
  note: z.string().max(1000),
  via: z.enum(ACK_VIA),
})
export type Ack = z.infer<typeof Ack>
