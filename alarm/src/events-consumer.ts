import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from '@peregrine/common/log'
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX } from '@peregrine/common/nats'
import { AlertEvent } from '@peregrine/common/schema'
import { eventLoopTurns } from '@peregrine/common/turns'
import { AckPolicy, type ConsumerMessages, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats'

/** The durable consumer every alarm instance shares: each event goes to one of them. */
export const ALARM_CONSUMER = 'alarm'

export interface EventsConsumerOptions {
  /** Events in hand at once, merged groups waiting included (JetStream's max_ack_pending). */
  maxInFlight: number
  ackWaitMs: number
}

export interface EventsConsumer {
  /** Stops taking events and waits (up to `timeoutMs`) for those in hand; the rest are redelivered. */
  stop(timeoutMs: number): Promise<void>
  readonly inFlight: number
}

/**
 * Reads the events stream through the shared durable consumer and hands each event to `handle`,
 * acknowledging it once `handle` settles: a notification not yet sent keeps its event
 * unacknowledged, so an instance that dies leaves it to another. Events of one key are handled
 * in order (a recovery never overtakes its PROBLEM); different keys at once. A message that is not
 * an event is counted, logged and terminated.
 */
export async function startEventsConsumer(
  nc: NatsConnection,
  o: EventsConsumerOptions,
  handle: (event: AlertEvent) => Promise<void>,
  hooks: { log: Logger; bad(): void; failed(): void },
): Promise<EventsConsumer> {
  const jsm = await nc.jetstreamManager()
  const config = {
    durable_name: ALARM_CONSUMER,
    filter_subject: `${EVENTS_SUBJECT_PREFIX}.>`,
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(o.ackWaitMs),
    max_ack_pending: o.maxInFlight,
  }
  try {
    await jsm.consumers.info(EVENTS_STREAM, ALARM_CONSUMER)
    await jsm.consumers.update(EVENTS_STREAM, ALARM_CONSUMER, config)
  } catch {
    // The first alarm ever: what the stream holds already was decided before anyone listened.
    await jsm.consumers.add(EVENTS_STREAM, { ...config, deliver_policy: DeliverPolicy.New })
  }
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, ALARM_CONSUMER)
  const held = new Set<JsMsg>()
  const chains = new Map<string, Promise<void>>()
  let stopping = false
  let messages: ConsumerMessages | undefined

  const keepalive = setInterval(
    () => {
      for (const m of held) m.working()
    },
    Math.max(1000, o.ackWaitMs / 3),
  )

  const take = (m: JsMsg) => {
    const parsed = AlertEvent.safeParse(safeJson(m))
    if (!parsed.success) {
      hooks.bad()
      hooks.log.warn(
        { subject: m.subject, seq: m.seq, error: parsed.error.issues[0]?.message },
        'not an event; terminated',
      )
      m.term()
      return
    }
    const event = parsed.data
    held.add(m)
    const before = chains.get(event.key) ?? Promise.resolve()
    const mine = before.then(() => handle(event))
    const settled = mine.then(
      () => m.ack(),
      (err) => {
        hooks.failed()
        hooks.log.error({ err, event: event.id }, 'handling an event failed; it will be redelivered')
        m.nak(5000)
      },
    )
    const tail = settled.finally(() => {
      held.delete(m)
      if (chains.get(event.key) === tail) chains.delete(event.key)
    })
    chains.set(event.key, tail)
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        messages = await consumer.consume({ max_messages: Math.min(256, o.maxInFlight) })
        for await (const m of messages) {
          await eventLoopTurns.take()
          take(m)
        }
      } catch (err) {
        if (stopping) break
        hooks.log.warn({ err }, 'consuming the events stream failed; retrying')
        await sleep(1000)
      }
    }
  })()

  return {
    get inFlight() {
      return held.size
    },
    async stop(timeoutMs) {
      stopping = true
      await messages?.close()
      await loop
      const all = Promise.allSettled([...chains.values()])
      await Promise.race([all, sleep(timeoutMs)])
      clearInterval(keepalive)
    },
  }
}

function safeJson(m: JsMsg): unknown {
  try {
    return m.json()
  } catch {
    return undefined
  }
}
