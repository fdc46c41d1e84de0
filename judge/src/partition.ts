import { setTimeout as sleep } from 'node:timers/promises'
import { Evaluator, type EvaluatorOptions, type JudgeEvent, type SeriesHandle } from '@peregrine/common/judge'
import type { Logger } from '@peregrine/common/log'
import {
  eventsSubject,
  METRICS_STREAM,
  partitionSubjects,
  seriesDefinitionSource,
} from '@peregrine/common/nats'
import {
  alignTimestamp,
  type BatchRead,
  BatchResolver,
  checkSeriesKey,
  type MetricBatch,
} from '@peregrine/common/schema'
import { eventLoopTurns } from '@peregrine/common/turns'
import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JsMsg,
  type NatsConnection,
  nanos,
} from 'nats'
import { toAlertEvent } from './alert-event.ts'
import type { JudgeMetrics } from './metrics.ts'
import type { PartitionReadShare, ReadShare } from './read-share.ts'
import type { PartitionState, PartitionStateStore } from './state-store.ts'
import type { EndpointView, StrategyView } from './strategy-view.ts'

export interface PartitionDeps {
  nc: NatsConnection
  view: StrategyView
  states: PartitionStateStore
  log: Logger
  metrics: JudgeMetrics
  evaluator: EvaluatorOptions
  /** The metrics bytes this judge asks for at once, shared by its partitions. */
  readShare: ReadShare
  /** How far back the stream is read to fill windows, in seconds. */
  replaySeconds: number
  nodataCheckMs: number
}

/** A live checkpoint is written at most this often: what a successor re-reads (harmlessly) on takeover. */
const CHECKPOINT_EVERY_MS = 2000
/** Message shapes remembered per host (see #handlesOf). */
const SHAPES_PER_HOST = 4
/** Series ids a partition keeps of its senders' dictionaries (v2 batches); least recently used go first. */
const DICTIONARY_IDS = 500_000

interface MessageShape {
  keys: readonly string[]
  handles: readonly (SeriesHandle | null)[]
}

/** How long a fetch waits for a message before the partition asks again. */
const FETCH_WAIT_MS = 5000
/** Event states are written this soon after they change. */
const STATE_FLUSH_MS = 100

/**
 * One partition of the metrics stream, evaluated by this judge while it holds the partition's
 * lease. On start it restores the partition's event states and checkpoint (the last message the
 * previous holder had fully handled), then reads the stream from `replaySeconds` ago: messages up
 * to the checkpoint only fill the windows, later ones are evaluated and may raise events. Events
 * are published at once (their ids make a repeat harmless); states and the checkpoint follow
 * together in one KV value, so a successor starts from a consistent pair.
 */
export class PartitionWorker {
  readonly #evaluator: Evaluator
  readonly #js: JetStreamClient
  /** Per host, the series keys of its last v1 messages of each shape and their handles. */
  readonly #shapes = new Map<string, MessageShape[]>()
  /** Decodes messages; a v2 batch's series ids map to handles through its sender's dictionary. */
  readonly #batches: BatchResolver<SeriesHandle | null>
  readonly #events: JudgeEvent[] = []
  #state: PartitionState = { checkpoint: null, states: new Map() }
  /** Messages at or below this stream sequence were handled by a previous holder. */
  #liveAfter = 0
  #lastSeq = 0
  #share: PartitionReadShare | null = null
  #fetch: ConsumerMessages | null = null
  #loop: Promise<void> = Promise.resolve()
  #nodataTimer: NodeJS.Timeout | null = null
  #flushTimer: NodeJS.Timeout | null = null
  #flushing: Promise<void> = Promise.resolve()
  #dirty = false
  #lastCheckpointAt = 0
  #published: Promise<unknown>[] = []
  #stopped = false

  constructor(
    readonly partition: number,
    private readonly deps: PartitionDeps,
  ) {
    this.#evaluator = new Evaluator(deps.evaluator)
    this.#js = deps.nc.jetstream()
    this.#batches = new BatchResolver(
      (key) => this.#handleOf(key),
      seriesDefinitionSource(deps.nc, deps.log),
      {
        maxIds: DICTIONARY_IDS,
        onLoadError: (err, owner, epoch, chunk) =>
          deps.log.warn(
            { err: err.message, partition, owner, epoch, chunk },
            'looking up series definitions failed; their points are skipped meanwhile',
          ),
      },
    )
  }

  get seriesCount(): number {
    return this.#evaluator.seriesCount
  }

  async start(): Promise<void> {
    const { log, states } = this.deps
    this.#state = await states.load(this.partition)
    this.#evaluator.restore({ v: 1, states: [...this.#state.states.values()] })
    // Without a checkpoint (nobody held the partition before) the past is only history: no
    // events. The boundary is saved at once, so a successor evaluates what came after it even if
    // this judge dies before its first checkpoint.
    if (this.#state.checkpoint === null) {
      this.#state.checkpoint = await this.#streamLastSeq()
      await states.save(this.partition, this.#state)
    }
    this.#liveAfter = this.#state.checkpoint
    this.#share = this.deps.readShare.join()
    this.#loop = this.#read(this.#share, Date.now() - this.deps.replaySeconds * 1000)
    this.#nodataTimer = setInterval(() => this.#checkNodata(), this.deps.nodataCheckMs)
    log.info(
      { partition: this.partition, liveAfter: this.#liveAfter, states: this.#state.states.size },
      'judging partition',
    )
  }

  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#nodataTimer) clearInterval(this.#nodataTimer)
    if (this.#flushTimer) clearTimeout(this.#flushTimer)
    this.#fetch?.stop()
    await this.#loop
    this.#share?.leave()
    await this.#queueFlush()
  }

  /** Flushes after the flush under way, never beside it; a failed one is logged and retried by the next. */
  #queueFlush(): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#flush())
      .catch((err) => {
        // Never a rejected chain, which would skip every later flush (nor an unhandled rejection).
        this.#dirty = true
        this.deps.log.warn({ err, partition: this.partition }, 'saving the partition state failed; retrying')
        if (!this.#stopped) this.#scheduleFlush(false)
      })
    return this.#flushing
  }

  async #streamLastSeq(): Promise<number> {
    const jsm = await this.deps.nc.jetstreamManager()
    return (await jsm.streams.info(METRICS_STREAM)).state.last_seq
  }

  /**
   * Reads the partition from `since` (ms) on, pulling messages only as they are handled, a
   * budgeted number at a time (read-share.ts); an idle partition's fetch waits FETCH_WAIT_MS for
   * the next one. The consumer is this reader's own, without acknowledgements; when a delivery
   * is missing (a reconnection, the server dropped what it was sending) or the consumer is gone,
   * another starts after the last message handled.
   */
  async #read(share: PartitionReadShare, since: number): Promise<void> {
    let reader: { consumer: Consumer; name: string } | null = null
    let delivered = 0
    for (let failures = 0; !this.#stopped; ) {
      try {
        if (reader === null) {
          reader = await this.#openConsumer(since)
          delivered = 0
        }
        this.#fetch = await reader.consumer.fetch({ max_messages: share.nextFetch(), expires: FETCH_WAIT_MS })
        if (this.#stopped) this.#fetch.stop()
        for await (const m of this.#fetch) {
          if (m.info.deliverySequence !== ++delivered) throw new Error('a message was lost in transit')
          share.received(m.data.length)
          // Lease renewals and state saves must get through while a backlog is read.
          await eventLoopTurns.take()
          await this.#handle(m)
          if (this.#events.length) this.#publish()
          this.#lastSeq = m.seq
          if (m.seq > this.#liveAfter) this.#scheduleFlush(false)
        }
        failures = 0
      } catch (err) {
        this.#fetch?.stop()
        if (reader) void this.#deleteConsumer(reader.name)
        reader = null
        if (this.#stopped) break
        this.deps.log.warn({ err, partition: this.partition }, 'reading the metrics stream failed; resuming')
        await sleep(Math.min(5000, 50 * 2 ** Math.min(failures++, 7)))
      }
    }
    if (reader) await this.#deleteConsumer(reader.name)
  }

  async #openConsumer(since: number): Promise<{ consumer: Consumer; name: string }> {
    const start =
      this.#lastSeq > 0
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#lastSeq + 1 }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() }
    const jsm = await this.deps.nc.jetstreamManager()
    const info = await jsm.consumers.add(METRICS_STREAM, {
      ...start,
      filter_subject: partitionSubjects(this.partition),
      ack_policy: AckPolicy.None,
      mem_storage: true,
      // A judge that dies leaves it behind only this long.
      inactive_threshold: nanos(60_000),
    })
    return { consumer: await this.#js.consumers.get(METRICS_STREAM, info.name), name: info.name }
  }

  async #deleteConsumer(name: string): Promise<void> {
    try {
      await (await this.deps.nc.jetstreamManager()).consumers.delete(METRICS_STREAM, name)
    } catch {
      // Gone already, or NATS away: the server drops it once inactive.
    }
  }

  async #handle(m: JsMsg): Promise<void> {
    const read = this.#batches.read(m.subject, m.data, (b) => this.#handlesOf(b))
    // Not awaited unless it is a promise: a result as is holds the decoder's buffer, read at once.
    this.#evaluate(m, read instanceof Promise ? await read : read)
  }

  #evaluate(m: JsMsg, r: BatchRead<SeriesHandle | null>): void {
    if (!r.ok) {
      this.deps.metrics.badMessages.inc()
      this.deps.log.debug(
        { partition: this.partition, seq: m.seq, error: r.error },
        'not a metrics batch; skipped',
      )
      return
    }
    const live = m.seq > this.#liveAfter
    const { refs, ts, ts0, values, count } = r.points
    const handles = r.series
    const { view } = this.deps
    const now = Math.floor(Date.now() / 1000)
    let endpoint: string | null = null
    let strategies: EndpointView['strategies'] = []
    for (let i = 0; i < count; i++) {
      const h = handles[refs[i]!]
      const value = values[i] as number
      if (h === undefined || h === null || !Number.isFinite(value)) continue
      // A message is mostly one endpoint's: look its strategies up once, not per point.
      if (h.endpoint !== endpoint) {
        endpoint = h.endpoint
        strategies = view.forEndpoint(endpoint).strategies
      }
      // Storage's rule: a point from too far ahead is refused (here, it would also make every
      // real point after it look stale), and 0 or less means now.
      const t = alignTimestamp(ts === null ? ts0 : ts[i]!, h.step, now)
      if (t < 0) continue
      if (live) this.#evaluator.add(h, t, value, strategies, this.#events)
      else this.#evaluator.warm(h, t, value, strategies)
    }
    this.deps.metrics.points.inc(count)
  }

  /**
   * The evaluator's handles of a v1 message's series, by index. A host sends the same series in
   * the same order cycle after cycle, so the handles of its last message of that shape are
   * reused after comparing the keys, which costs less than looking each one up. A few shapes are
   * kept per host (an agent may send its plugins' points apart); a new one replaces the oldest.
   */
  #handlesOf(b: MetricBatch): readonly (SeriesHandle | null)[] {
    let shapes = this.#shapes.get(b.source.host)
    if (shapes === undefined) {
      shapes = []
      this.#shapes.set(b.source.host, shapes)
    }
    for (const shape of shapes) if (sameKeys(shape.keys, b.series)) return shape.handles
    const handles = b.series.map((key) => this.#handleOf(key))
    if (shapes.length >= SHAPES_PER_HOST) shapes.shift()
    shapes.push({ keys: b.series, handles })
    return handles
  }

  /**
   * The evaluator's handle of a series key; null for series no strategy could select (not held)
   * and for those storage refuses (a forged message's), which the collector counts.
   */
  #handleOf(key: string): SeriesHandle | null {
    const { def } = checkSeriesKey(key)
    if (def && this.deps.view.forEndpoint(def.endpoint).metrics.has(def.metric))
      return this.#evaluator.series(def)
    return null
  }

  #checkNodata(): void {
    if (this.#lastSeq < this.#liveAfter) return // still replaying: the data may yet come
    this.#evaluator.checkNodata(Math.floor(Date.now() / 1000), this.#events)
    if (this.#events.length) {
      this.#publish()
      this.#scheduleFlush(true)
    }
  }

  /** Publishes the events raised so far; the next flush waits for their acknowledgements. */
  #publish(): void {
    const { view, metrics } = this.deps
    const subject = eventsSubject(this.partition)
    for (const e of this.#events) {
      const alert = toAlertEvent(e, view, Date.now())
      if (!alert) continue
      metrics.events.inc({ status: e.status, kind: e.kind })
      this.#published.push(this.#publishOne(subject, alert.id, JSON.stringify(alert)))
    }
    this.#events.length = 0
    this.#dirty = true
  }

  /**
   * Publishes one event until JetStream acknowledges it (NATS may be away a while). Given up only
   * when the partition stops: its checkpoint was not moved past the event, so the next holder
   * raises it again.
   */
  async #publishOne(subject: string, id: string, body: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#js.publish(subject, body, { msgID: id })
        return
      } catch (err) {
        if (this.#stopped) throw err
        this.deps.metrics.publishFailures.inc()
        this.deps.log.warn({ err, id, attempt }, 'publishing an event failed; retrying')
        await sleep(Math.min(5000, 100 * 2 ** Math.min(attempt, 6)))
      }
    }
  }

  /** The configuration changed: series are matched against strategies anew. */
  configChanged(): void {
    this.#shapes.clear()
    this.#batches.dictionary.invalidate()
    this.#evaluator.syncStrategies(this.deps.view.all())
  }

  #scheduleFlush(soon: boolean): void {
    if (this.#flushTimer) return
    const due = this.#dirty || soon ? STATE_FLUSH_MS : CHECKPOINT_EVERY_MS
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = null
      void this.#queueFlush()
    }, due)
  }

  /**
   * Writes the states and the checkpoint once the events raised before them are acknowledged:
   * a successor never starts after an event that was not stored.
   */
  async #flush(): Promise<void> {
    const seq = this.#lastSeq
    const published = this.#published.splice(0)
    const changes = this.#evaluator.takeChanges()
    for (const s of changes.changed) this.#state.states.set(this.deps.states.keyOf(s), s)
    for (const k of changes.removed) this.#state.states.delete(this.deps.states.keyOf(k))
    const changed = changes.changed.length + changes.removed.length > 0 || this.#dirty
    const checkpoint = this.#state.checkpoint ?? 0
    if (!changed && (seq === checkpoint || Date.now() - this.#lastCheckpointAt < CHECKPOINT_EVERY_MS)) return
    try {
      await Promise.all(published)
    } catch {
      return // not acknowledged: the checkpoint stays where it was, and a successor raises them again
    }
    this.#dirty = false
    // While replaying, what is handled is the previous holder's: the live boundary stays.
    this.#state.checkpoint = Math.max(checkpoint, this.#liveAfter, seq)
    await this.deps.states.save(this.partition, this.#state)
    this.#lastCheckpointAt = Date.now()
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length || a[0] !== b[0]) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
