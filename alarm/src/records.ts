import { createHash } from 'node:crypto'
import type { Logger } from '@peregrine/common/log'
import { publishNotification } from '@peregrine/common/nats'
import type { AlertEvent, NotificationOutcome, NotificationRecord } from '@peregrine/common/schema'
import { MAX_RECORD_EVENTS } from '@peregrine/common/schema'
import type { JetStreamClient } from 'nats'
import type { Attempt } from './delivery.ts'
import type { Recipient } from './recipients.ts'

/**
 * Publishes what became of each notification on the notifications stream, which the collector
 * stores for `GET /api/v1/notifications`. A record that cannot be published is logged and
 * counted, never a reason to send again: it describes, it does not decide.
 */
export class Records {
  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    private readonly failed: () => void,
  ) {}

  /** One delivery attempt of the notification `id` about `events` to `r`. */
  attempt(a: Attempt, events: readonly AlertEvent[], r: Recipient): void {
    this.#publish(
      recordOf(`${a.notificationId}.${a.attempt}.${a.outcome}`, a.notificationId, events, r, a.outcome, {
        attempt: a.attempt,
        error: a.error ?? '',
        at: a.at,
      }),
    )
  }

  /** An event that went to `r` not at all, on purpose (silenced, inhibited, …). */
  held(event: AlertEvent, r: Recipient, outcome: NotificationOutcome, detail: string): void {
    const notification = hash(event.id, r.receiver, r.channel, r.address)
    this.#publish(
      recordOf(`${notification}.${outcome}`, notification, [event], r, outcome, {
        attempt: 0,
        error: detail,
        at: Date.now(),
      }),
    )
  }

  #publish(record: NotificationRecord): void {
    publishNotification(this.js, record).catch((err) => {
      this.failed()
      this.log.warn({ err, notification: record.notification }, 'recording a notification failed')
    })
  }
}

function recordOf(
  id: string,
  notification: string,
  events: readonly AlertEvent[],
  r: Recipient,
  outcome: NotificationOutcome,
  o: { attempt: number; error: string; at: number },
): NotificationRecord {
  const listed = events.slice(0, MAX_RECORD_EVENTS)
  const first = events[0]!
  return {
    id: id.slice(0, 256),
    notification,
    events: listed.map((e) => e.id),
    keys: listed.map((e) => e.key),
    count: events.length,
    channel: r.channel,
    receiver: r.receiver,
    address: r.address,
    priority: first.strategy.priority,
    status: first.status,
    outcome,
    attempt: o.attempt,
    error: o.error,
    at: o.at,
    paths: [...new Set(listed.flatMap((e) => e.paths))].slice(0, MAX_RECORD_EVENTS),
    endpoints: [...new Set(listed.map((e) => e.endpoint))],
    metric: first.metric,
  }
}

const hash = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)
