import { setImmediate as setImmediatePromise } from 'node:timers/promises'
import type { Logger, Registry, Store } from '@peregrine/common'
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats'
import { startAuditConsumer } from './audit.ts'
import type { CollectorConfig } from './config.ts'
import { metricsConsumer } from './consumer.ts'
import { type IngestState, ingestMessage } from './ingest.ts'
import { type CollectorMetrics, collectorMetrics } from './metrics.ts'
import { PendingBatch } from './pending.ts'
import { SeriesCache } from './series-cache.ts'
import { writeBatch } from './writer.ts'

export { AUDIT_CONSUMER } from './audit.ts'
export { type CollectorConfig, collectorSettings, loadCollectorConfig } from './config.ts'

export interface CollectorDeps {
  nc: NatsConnection
  store: Store
  log: Logger
  registry: Registry
}

export interface Collector {
  /** Stops consuming, writes what is in hand, acknowledges it, then resolves. */
  stop(): Promise<void>
}

/** Longest stretch of message handling before the event loop gets a turn. */
const YIELD_EVERY_MS = 5

type Settings = Pick<
  CollectorConfig,
  | 'batchMaxPoints'
  | 'batchMaxWaitMs'
  | 'pullMessages'
  | 'maxAckPending'
  | 'ackWaitMs'
  | 'seriesRefreshSeconds'
>

/**
 * Consumes the metrics stream and stores it: one batch fills while the previous one is written,
 * and messages are acknowledged only after their points are in ClickHouse.
 */
export async function startCollector(config: Settings, deps: CollectorDeps): Promise<Collector> {
  const { log } = deps
  const metrics = collectorMetrics(deps.registry)
  const consumer = await metricsConsumer(deps.nc, config)
  const audit = await startAuditConsumer(deps.nc, deps.store, log, deps.registry)
  const state: IngestState = {
    cache: new SeriesCache(),
    seriesRefreshSeconds: config.seriesRefreshSeconds,
    endpointsWritten: new Map(),
  }
  const writer = new BatchWriter(deps.store, metrics, log)
  let pending = new PendingBatch()
  let stopping = false

  const rotate = async () => {
    const full = pending
    pending = new PendingBatch()
    await writer.submit(full)
  }
  const timer = setInterval(
    () => {
      if (pending.messages.length && Date.now() - pending.startedAt >= config.batchMaxWaitMs) void rotate()
    },
    Math.max(10, Math.floor(config.batchMaxWaitMs / 4)),
  )

  const messages: ConsumerMessages = await consumer.consume({ max_messages: config.pullMessages })
  const loop = (async () => {
    let busySince = performance.now()
    for await (const msg of messages) {
      handle(msg)
      if (pending.points >= config.batchMaxPoints) await rotate()
      if (stopping) break
      // The iterator hands over buffered messages without a macrotask in between: give timers
      // and I/O (acks, the API in all-in-one) a turn every few milliseconds.
      if (performance.now() - busySince > YIELD_EVERY_MS) {
        await setImmediatePromise()
        busySince = performance.now()
      }
    }
  })()

  function handle(msg: JsMsg): void {
    metrics.messages.inc()
    const now = Math.floor(Date.now() / 1000)
    const r = ingestMessage(msg.data, msg.redelivered, pending, state, now)
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

  return {
    async stop() {
      const auditStopped = audit.stop()
      stopping = true
      clearInterval(timer)
      await messages.close()
      await loop
      await rotate()
      await writer.drain()
      await auditStopped
    },
  }
}

/**
 * Writes batches one at a time (the embedded engine runs one query at a time anyway), retrying a
 * failed write until it succeeds: the stream holds what arrives meanwhile.
 */
class BatchWriter {
  #inflight: Promise<void> = Promise.resolve()

  constructor(
    private readonly store: Store,
    private readonly metrics: CollectorMetrics,
    private readonly log: Logger,
  ) {}

  /** Queues `batch` behind the writes before it; resolves when those are done (backpressure). */
  submit(batch: PendingBatch): Promise<void> {
    const previous = this.#inflight
    if (batch.messages.length) this.#inflight = previous.then(() => this.#write(batch))
    return previous
  }

  drain(): Promise<void> {
    return this.#inflight
  }

  async #write(batch: PendingBatch): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const end = this.metrics.insertSeconds.startTimer()
      try {
        const repaired = await writeBatch(this.store, batch)
        end()
        this.metrics.inserted.inc(batch.points)
        if (repaired) this.metrics.repairs.inc()
        for (const m of batch.messages) m.ack()
        return
      } catch (err) {
        this.metrics.insertFailures.inc()
        this.log.error({ err, attempt, points: batch.points }, 'batch write failed; retrying')
        batch.markAllSuspect()
        for (const m of batch.messages) m.working()
        await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** Math.min(attempt, 7))))
      }
    }
  }
}
