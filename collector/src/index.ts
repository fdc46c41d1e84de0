import { setTimeout as sleep } from 'node:timers/promises'
import {
  eventLoopTurns,
  type Logger,
  type Registry,
  type Store,
  seriesDefinitionSource,
  settlesWithin,
} from '@peregrine/common'
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats'
import { auditTable } from './audit.ts'
import { BatchWriter } from './batch-writer.ts'
import type { CollectorConfig } from './config.ts'
import { metricsConsumer } from './consumer.ts'
import { eventsTable } from './events.ts'
import { ingestMessage, ingestState } from './ingest.ts'
import { collectorMetrics } from './metrics.ts'
import { notificationsTable } from './notifications.ts'
import { PendingBatch } from './pending.ts'
import { startRoller } from './roller.ts'
import { startStreamTable } from './stream-table.ts'

export { AUDIT_CONSUMER } from './audit.ts'
export { type CollectorConfig, collectorSettings, loadCollectorConfig } from './config.ts'
// The collector's own rows, for bench:ingest's direct insert of the same bytes.
export { POINT_COLUMNS, POINT_STRUCTURE, PointRows } from './pending.ts'
export { SeriesEntry } from './series-cache.ts'

export interface CollectorDeps {
  nc: NatsConnection
  store: Store
  log: Logger
  registry: Registry
}

export interface Collector {
  /**
   * Stops consuming and writes what is in hand, acknowledging it; if storage does not take it
   * within the stop timeout, hands it back to JetStream unacknowledged instead.
   */
  stop(): Promise<void>
  /** Unhealthy once writes have failed for `unhealthyAfterMs` without a success. */
  health(): { ok: boolean; failingForMs: number }
}

type Settings = Pick<
  CollectorConfig,
  | 'batchMaxPoints'
  | 'batchMaxWaitMs'
  | 'pullMessages'
  | 'maxAckPending'
  | 'ackWaitMs'
  | 'seriesRefreshSeconds'
  | 'stopTimeoutMs'
  | 'unhealthyAfterMs'
  | 'streamMaxBytes'
  | 'retentionDays'
  | 'retention1mDays'
  | 'retention1hDays'
  | 'rollupIntervalMs'
  | 'rollupGraceSeconds'
>

/**
 * Consumes the metrics stream and stores it: one batch fills while the previous one is written,
 * and messages are acknowledged only after their points are in ClickHouse. While a write is
 * retried (storage down) the next batch fills up to its size and consuming stops until the write
 * succeeds, so what a collector holds is bounded, and every held message's ack deadline is kept
 * extended.
 */
export async function startCollector(config: Settings, deps: CollectorDeps): Promise<Collector> {
  const { log } = deps
  const metrics = collectorMetrics(deps.registry)
  const consumer = await metricsConsumer(deps.nc, config)
  const audit = await startStreamTable(auditTable, deps.nc, deps.store, log, deps.registry)
  const events = await startStreamTable(eventsTable, deps.nc, deps.store, log, deps.registry)
  const notifications = await startStreamTable(notificationsTable, deps.nc, deps.store, log, deps.registry)
  const state = ingestState(
    {
      seriesRefreshSeconds: config.seriesRefreshSeconds,
      maxAgeSeconds: Math.max(config.retentionDays, config.retention1mDays, config.retention1hDays) * 86_400,
    },
    seriesDefinitionSource(deps.nc, log),
    log,
  )
  const now = () => Math.floor(Date.now() / 1000)
  const writer = new BatchWriter({
    store: deps.store,
    metrics,
    log,
    cache: state.cache,
    async single(m) {
      const batch = new PendingBatch()
      const r = await ingestMessage(m, () => batch, state, now())
      batch.messages.push(m)
      return r.ok && batch.points > 0 ? batch : null
    },
  })
  const roller = startRoller(deps.store, log, metrics, {
    intervalMs: config.rollupIntervalMs,
    graceSeconds: config.rollupGraceSeconds,
  })
  let pending = new PendingBatch()
  let stopping = false

  const rotate = () => {
    const full = pending
    pending = new PendingBatch()
    writer.start(full)
  }
  const timer = setInterval(
    () => {
      const due = pending.messages.length && Date.now() - pending.startedAt >= config.batchMaxWaitMs
      if (due && !writer.busy && !stopping) rotate()
    },
    Math.max(10, Math.floor(config.batchMaxWaitMs / 4)),
  )
  // A batch may wait behind a write that is retried for minutes; JetStream must not redeliver it.
  const keepalive = setInterval(
    () => {
      for (const m of writer.held) m.working()
      for (const m of pending.messages) m.working()
    },
    Math.max(100, Math.floor(config.ackWaitMs / 3)),
  )

  let messages: ConsumerMessages | undefined
  const loop = (async () => {
    while (!stopping) {
      try {
        messages = await consumer.consume({ max_messages: config.pullMessages })
        await drain(messages)
      } catch (err) {
        if (stopping) break
        log.warn({ err }, 'consuming the metrics stream failed; retrying')
        await sleep(1000)
      }
      // The consume was stopped because storage fails: pull again once there is room.
      if (!stopping && pending.points >= config.batchMaxPoints) {
        await writer.idle()
        if (!stopping) rotate()
      }
    }
  })()

  /**
   * Hands every message of `from` to the pending batch. Backpressure: a full batch waits for the
   * writer. While writes fail that wait is long, and messages the client has already pulled would
   * sit unseen past their ack deadline, so the consume is stopped instead and what it holds is
   * taken into the pending batch, whose deadlines the keepalive extends.
   */
  async function drain(from: ConsumerMessages): Promise<void> {
    for await (const msg of from) {
      await handle(msg)
      if (stopping) break
      if (pending.points >= config.batchMaxPoints) {
        await writer.idleOrFailing()
        if (writer.busy) from.stop()
        else rotate()
      }
      await eventLoopTurns.take()
    }
  }

  async function handle(msg: JsMsg): Promise<void> {
    metrics.messages.inc()
    const r = await ingestMessage(msg, () => pending, state, now())
    if (!r.ok) {
      metrics.badMessages.inc()
      log.warn(
        { subject: msg.subject, seq: msg.seq, error: r.error },
        'rejected a message that is not a batch',
      )
      msg.term()
      return
    }
    pending.messages.push(msg)
    metrics.accepted.inc(r.accepted)
    for (const [field, n] of Object.entries(r.rejected)) metrics.rejected.inc({ field }, n)
    metrics.series.set(state.cache.size)
  }

  /** Writes what is in hand: the batch being written, then the pending one. */
  const flush = async () => {
    await writer.idle()
    rotate()
    await writer.idle()
  }

  return {
    async stop() {
      const tablesStopped = Promise.all([audit.stop(), events.stop(), notifications.stop()])
      stopping = true
      clearInterval(timer)
      messages?.stop()
      await loop
      const flushed = flush()
      if (!(await settlesWithin(flushed, config.stopTimeoutMs))) {
        log.warn('storage did not take the last batches in time; leaving them to JetStream')
        writer.abort()
        for (const m of pending.messages) m.nak()
      }
      clearInterval(keepalive)
      await Promise.all([tablesStopped, roller.stop()])
    },
    health() {
      const since = writer.failingSince
      const failingForMs = since === null ? 0 : Date.now() - since
      return { ok: failingForMs < config.unhealthyAfterMs, failingForMs }
    },
  }
}
