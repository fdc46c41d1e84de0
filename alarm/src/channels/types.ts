import type { AlertEvent, NotificationChannel as ChannelType } from '@peregrine/common/schema'

export type { NotificationChannel as ChannelType } from '@peregrine/common/schema'
/** The channel types, as notification records name them. */
export { NOTIFICATION_CHANNELS as CHANNEL_TYPES } from '@peregrine/common/schema'

/** One message to one receiver over one channel, about one event or several merged ones. */
export interface Notification {
  /** The pipeline's idempotency key (event × receiver × channel): every attempt is recorded under it. */
  id: string
  channel: ChannelType
  /** Who it is for (a user; for a callback, the strategy), as attempts are recorded. */
  receiver: string
  /** Where: an email address, a phone number, a webhook or callback URL; rate limits count per address and channel. */
  address: string
  /** One event, or several of the same priority, status, receiver and metric; a callback takes one. */
  events: readonly AlertEvent[]
  /** The signed acknowledgement link, when the event can be acknowledged. */
  ackUrl?: string
  /** High priority (sent at once): not held back by the per-address rate limit. */
  urgent?: boolean
}

/** What people read: render.ts makes it once per notification, every channel sends it its own way. */
export interface Message {
  subject: string
  text: string
}

/**
 * A way of sending. `send` makes one attempt and throws PermanentSendError when another attempt
 * cannot help, anything else when it may (errors.ts); it gives up when `signal` aborts (the
 * attempt's time is up, or the service stops).
 */
export interface Channel {
  send(n: Notification, message: Message, signal: AbortSignal): Promise<void>
  close?(): Promise<void>
}

export type ChannelRegistry = ReadonlyMap<ChannelType, Channel>
