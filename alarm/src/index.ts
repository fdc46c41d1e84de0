import { ensureAckLinkSecret, makeAckLink } from '@peregrine/common/ack-link'
import type { Logger } from '@peregrine/common/log'
import type { Registry } from '@peregrine/common/metrics'
import {
  ConfigStore,
  ensureEventsStream,
  ensureNotificationsStream,
  startConfigPasses,
} from '@peregrine/common/nats'
import { OutboundPolicy } from '@peregrine/common/outbound'
import type { AlertEvent } from '@peregrine/common/schema'
import type { NatsConnection } from 'nats'
import { createChannels } from './channels/registry.ts'
import { Claims } from './claims.ts'
import type { AlarmConfig } from './config.ts'
import { Delivery } from './delivery.ts'
import { escalate } from './escalation.ts'
import { startEventsConsumer } from './events-consumer.ts'
import { FiringState } from './firing.ts'
import type { Batch } from './merge.ts'
import { alarmMetrics } from './metrics.ts'
import { Pipeline } from './pipeline.ts'
import { Records } from './records.ts'
import { AlarmView } from './view.ts'

export { type AlarmConfig, alarmSettings, loadAlarmConfig } from './config.ts'

export interface AlarmDeps {
  nc: NatsConnection
  log: Logger
  registry: Registry
}

export interface Alarm {
  stop(): Promise<void>
}

/**
 * The alarm: turns the judges' events into notifications (pipeline.ts) — silences, inhibition,
 * acknowledgement, receivers, merging, exactly-once claims, delivery with retries — records every
 * attempt, and escalates unacknowledged PROBLEMs. Any number of instances share the work.
 */
export async function startAlarm(c: AlarmConfig, deps: AlarmDeps): Promise<Alarm> {
  const { nc, log } = deps
  const metrics = alarmMetrics(deps.registry)
  const config = await ConfigStore.open(nc)
  const jsm = await nc.jetstreamManager()
  await ensureEventsStream(jsm)
  await ensureNotificationsStream(jsm)
  const ackSecret = await ensureAckLinkSecret(config)
  const view = new AlarmView()
  const firing = await FiringState.open(nc, log)
  // The view reads more than the tree, strategies and hosts: a silence, a policy or a new user
  // made while the alarm runs must reach it too.
  const passes = await startConfigPasses(
    config,
    log,
    {
      what: 'alarm configuration',
      nc,
      also: [
        config.users,
        config.teams,
        config.subscriptions,
        config.silences,
        config.inhibitionRules,
        config.escalationPolicies,
      ],
    },
    async () => {
      await view.load(config)
      firing.setSourceFilter((e) => view.isInhibitionSource(e))
    },
  )
  const claims = await Claims.open(nc, {
    owner: c.instance,
    staleMs: c.claimStaleMs,
    keepMs: c.claimKeepHours * 3600_000,
  })
  const records = new Records(nc.jetstream(), log, () => metrics.recordFailures.inc())
  /** Notifications being delivered, for their attempts' records. */
  const sending = new Map<string, Batch>()
  const delivery = new Delivery(c, {
    channels: createChannels(c, new OutboundPolicy(c.outboundAllowNets)),
    registry: deps.registry,
    onAttempt: (a) => {
      const b = sending.get(a.notificationId)
      if (b) records.attempt(a, b.events, b.recipient)
    },
  })

  const acknowledged = async (e: AlertEvent) => {
    const ack = (await config.acks.get(e.key))?.value
    // A first PROBLEM's ack must name it: one left from an earlier episode is void.
    return ack !== undefined && (e.step > 1 || ack.eventId === e.id)
  }
  const deliver = async (b: Batch) => {
    const [first] = b.events
    const ackUrl =
      b.events.length === 1 && first?.status === 'PROBLEM'
        ? makeAckLink(ackSecret, first.key, first.id, c.ackLinkHours * 3600, c.dashboardUrl, {
            by: b.recipient.receiver,
          })
        : undefined
    sending.set(b.id, b)
    try {
      const urgent = first !== undefined && first.strategy.priority <= c.immediateUpTo
      await delivery.send({ id: b.id, ...b.recipient, events: b.events, urgent, ...(ackUrl && { ackUrl }) })
    } finally {
      sending.delete(b.id)
    }
  }
  const pipeline = new Pipeline({
    log,
    directory: () => view.directory,
    silencesOf: (e) => view.silencesOf(e, Math.floor(Date.now() / 1000)),
    inhibitionsOf: (e) => view.inhibitionsOf(e, firing.sources()),
    acknowledged,
    firing,
    claims,
    deliver,
    held: (e, r, why, detail) => records.held(e, r, why, detail),
    unrouted: (e) => {
      log.info(
        { event: e.id, strategy: e.strategy.id, endpoint: e.endpoint },
        'an event names nobody to tell',
      )
    },
    merge: { immediateUpTo: c.immediateUpTo, windowSeconds: c.mergeWindowSeconds, graceMs: c.mergeGraceMs },
  })

  const handle = async (e: AlertEvent) => {
    metrics.events.inc({ outcome: await pipeline.handle(e) })
    // The ack of a PROBLEM ends with it: the next PROBLEM of the key is news again.
    if (e.status === 'OK') await config.acks.delete(e.key).catch(() => undefined)
  }
  const consumer = await startEventsConsumer(
    nc,
    { maxInFlight: c.maxInFlight, ackWaitMs: c.ackWaitMs },
    handle,
    {
      log,
      bad: () => metrics.badMessages.inc(),
      failed: () => metrics.failures.inc(),
    },
  )
  const gauges = setInterval(() => metrics.inFlight.set(consumer.inFlight), 1000)
  const escalationDeps = {
    log,
    firing,
    directory: () => view.directory,
    policyOf: (e: AlertEvent) => view.escalationOf(e),
    acknowledged,
    send: (b: Batch) => pipeline.send(b),
  }
  // One walk at a time: a walk slower than the interval skips a tick rather than queue up.
  let walking: Promise<void> | null = null
  const escalation = setInterval(() => {
    walking ??= escalate(escalationDeps, Math.floor(Date.now() / 1000))
      .catch((err) => log.warn({ err }, 'an escalation walk failed'))
      .finally(() => {
        walking = null
      })
  }, c.escalationCheckMs)
  log.info({ instance: c.instance }, 'alarm started')

  return {
    async stop() {
      clearInterval(escalation)
      clearInterval(gauges)
      // What merge groups hold goes out now; what cannot finish in time is redelivered.
      pipeline.flush()
      await consumer.stop(c.stopTimeoutMs)
      await walking
      const report = await delivery.stop(c.stopTimeoutMs)
      if (report.left.length)
        log.warn({ left: report.left.length }, 'notifications left unsent; their events will be redelivered')
      await firing.stop()
      await passes.stop()
    },
  }
}
