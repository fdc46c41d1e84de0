import { z } from 'zod'
import { AlertEvent, EVENT_STATUSES } from './event.ts'
import { NodePath } from './tree.ts'

export const NOTIFICATION_CHANNELS = [
  'email',
  'webhook',
  'slack',
  'feishu',
  'dingtalk',
  'wecom',
  'sms',
  'callback',
] as const
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number]

/**
 * What became of one attempt. `retrying`: failed, another attempt follows; `dead`: failed for the
 * last time; `silenced`, `inhibited`: not sent, on purpose; `acknowledged`: a repeat of a PROBLEM
 * someone acknowledged, not sent; `suppressed`: a recovery whose PROBLEM nobody was told of (it
 * was silenced or inhibited), not sent.
 */
export const NOTIFICATION_OUTCOMES = [
  'sent',
  'failed',
  'retrying',
  'dead',
  'silenced',
  'inhibited',
  'acknowledged',
  'suppressed',
] as const
export type NotificationOutcome = (typeof NOTIFICATION_OUTCOMES)[number]

/**
 * How many events one record lists. A merged message may cover more (a storm of thousands):
 * `count` says how many, the lists hold the first ones; a record must stay well inside the
 * stream's message size.
 */
export const MAX_RECORD_EVENTS = 1000
/** Longer errors (an SMTP server's whole transcript) are cut to this many characters. */
export const MAX_RECORD_ERROR = 2000

const unixMs = z
  .number()
  .int()
  .nonnegative()
  .max(Date.UTC(2299, 11, 31))

/**
 * One delivery attempt of one notification (or the decision not to send it), as the alarm
 * publishes it and the collector stores it. Kept self-contained like an event: it is read long
 * after receivers and strategies have changed.
 */
export const NotificationRecord = z
  .strictObject({
    /** Unique per attempt; the stream's message id, so a record published twice is stored once. */
    id: z
      .string()
      .max(256)
      .regex(/^[!-~]+$/, 'printable ASCII without spaces'),
    /** The idempotency key: event (or merged group) × receiver × channel; equal for every attempt. */
    notification: z.string().min(1).max(512),
    events: z.array(AlertEvent.shape.id).min(1).max(MAX_RECORD_EVENTS),
    keys: z.array(AlertEvent.shape.key).min(1).max(MAX_RECORD_EVENTS),
    /** How many events the message covered: more than `events` lists for a large merged group. */
    count: z.number().int().positive().max(1_000_000_000),
    channel: z.enum(NOTIFICATION_CHANNELS),
    /** A user or team name, or `callback` for a strategy's callback URL. */
    receiver: z.string().min(1).max(128),
    /** Where it went (email address, phone number, URL); the API hides contacts from most readers. */
    address: z.string().max(2048),
    priority: z.number().int().min(0).max(6),
    status: z.enum(EVENT_STATUSES),
    outcome: z.enum(NOTIFICATION_OUTCOMES),
    /** From 1; 0 for what was never tried (silenced, inhibited, merged). */
    attempt: z.number().int().min(0).max(1000),
    /** Why it failed; '' when it did not. */
    error: z.string().max(MAX_RECORD_ERROR),
    /** Unix milliseconds of the attempt's end (or of the decision). */
    at: unixMs,
    /** Tree paths of the events' endpoints, for reads scoped to a subtree. */
    paths: z.array(NodePath).max(MAX_RECORD_EVENTS),
    endpoints: z.array(AlertEvent.shape.endpoint).min(1).max(MAX_RECORD_EVENTS),
    metric: AlertEvent.shape.metric,
  })
  .refine((r) => r.count >= r.events.length, { message: 'count is less than events listed', path: ['count'] })
export type NotificationRecord = z.infer<typeof NotificationRecord>
