import { setTimeout as sleep } from 'node:timers/promises'
import { isDataError, type Logger, type Store } from '@peregrine/common'
import type { JsMsg } from 'nats'
import type { CollectorMetrics } from './metrics.ts'
import { settleNewSeries } from './new-series.ts'
import type { PendingBatch } from './pending.ts'
import type { SeriesCache } from './series-cache.ts'
import { writeBatch } from './writer.ts'

const MAX_BACKOFF_MS = 30_000

export interface BatchWriterDeps {
  store: Store
  metrics: CollectorMetrics
  log: Logger
  cache: SeriesCache
  /** One message's points as a batch of their own (null if it holds none), to isolate it. */
  single(m: JsMsg): Promise<PendingBatch | null>
}

/**
 * Writes one batch at a time (the embedded engine runs one query at a time anyway) and
 * acknowledges its messages once stored. A write that fails is retried with backoff, since
 * storage may be down, unless ClickHouse refused the data itself: then each message is written
 * alone, and one still refused is terminated and counted, so no message can stop the line.
 */
export class BatchWriter {
  #current: Promise<void> | null = null
  #held: readonly JsMsg[] = []
  #failingSince: number | null = null
  /** Told when a write starts failing: they need not wait for the retries to end. */
  #onFailure: (() => void)[] = []
  readonly #abort = new AbortController()

  constructor(private readonly deps: BatchWriterDeps) {}

  get busy(): boolean {
    return this.#current !== null
  }

  /** The messages of the batch being written, unacknowledged until it is stored. */
  get held(): readonly JsMsg[] {
    return this.#held
  }

  /** Since when (ms) writes have failed without a success in between; null while they succeed. */
  get failingSince(): number | null {
    return this.#failingSince
  }

  /** Starts writing `batch`. One at a time: wait for idle() before handing over the next. */
  start(batch: PendingBatch): void {
    if (this.#current) throw new Error('a batch is already being written')
    if (batch.messages.length === 0) return
    this.#held = batch.messages
    this.#current = this.#write(batch).finally(() => {
      this.#current = null
      this.#held = []
      this.#onFailure = []
    })
  }

  idle(): Promise<void> {
    return this.#current ?? Promise.resolve()
  }

  /** Resolves when the writer is idle, or as soon as its write fails (it retries meanwhile). */
  idleOrFailing(): Promise<void> {
    const current = this.#current
    if (!current || this.#failingSince !== null) return Promise.resolve()
    return new Promise((resolve) => {
      this.#onFailure.push(resolve)
      void current.then(resolve)
    })
  }

  /**
   * Stops retrying: the messages held are handed back to JetStream (nak) for another collector
   * or a later start. Nothing was acknowledged for them, so nothing is lost.
   */
  abort(): void {
    this.#abort.abort()
    for (const m of this.#held) m.nak()
  }

  async #write(batch: PendingBatch): Promise<void> {
    const { metrics, log } = this.deps
    for (let attempt = 1; !this.#abort.signal.aborted; attempt++) {
      const end = metrics.insertSeconds.startTimer()
      try {
        await this.#settleNewSeries(batch)
        await writeBatch(this.deps.store, batch)
        end()
        metrics.inserted.inc(batch.points)
        if (this.#abort.signal.aborted) return // handed back already; a redelivery is harmless
        for (const m of batch.messages) m.ack()
        const oldest = batch.messages[0]
        if (oldest) metrics.lag.set(Math.max(0, Date.now() - oldest.info.timestampNanos / 1e6) / 1000)
        this.#failingSince = null
        return
      } catch (err) {
        if (isDataError(err)) return this.#isolate(batch, err)
        metrics.insertFailures.inc()
        if (this.#failingSince === null) {
          this.#failingSince = Date.now()
          for (const tell of this.#onFailure.splice(0)) tell()
        }
        log.error({ err, attempt, points: batch.points }, 'batch write failed; retrying')
        const backoff = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 7))
        await sleep(backoff, undefined, { signal: this.#abort.signal }).catch(() => undefined)
      }
    }
  }

  async #settleNewSeries(batch: PendingBatch): Promise<void> {
    const { metrics, log } = this.deps
    const s = await settleNewSeries(this.deps.store, batch, this.deps.cache, Math.floor(Date.now() / 1000))
    metrics.accepted.inc(s.accepted)
    for (const [field, n] of Object.entries(s.rejected)) metrics.rejected.inc({ field }, n)
    for (const e of s.refused)
      log.warn(
        { endpoint: e.endpoint, metric: e.metric, tags: e.tags, counterType: e.counterType, step: e.step },
        `series refused: it is stored with another ${e.conflict}`,
      )
  }

  /** ClickHouse refused the batch's data: find the message at fault by writing each alone. */
  async #isolate(batch: PendingBatch, err: unknown): Promise<void> {
    const { metrics, log } = this.deps
    if (batch.messages.length === 1) {
      const m = batch.messages[0]!
      log.warn({ err, subject: m.subject, seq: m.seq }, 'ClickHouse refused a message; terminated')
      metrics.badMessages.inc()
      metrics.rejected.inc({ field: 'storage' }, batch.points)
      m.term()
      return
    }
    log.warn(
      { err, messages: batch.messages.length },
      'ClickHouse refused a batch; writing its messages one by one',
    )
    for (const m of batch.messages) {
      const single = await this.deps.single(m)
      if (single) await this.#write(single)
      else m.ack()
    }
  }
}
