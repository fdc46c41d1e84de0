import { setTimeout as sleep } from 'node:timers/promises'
import { isDataError, isNotFound, type Logger, type Registry, type Store } from '@peregrine/common'
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
} from 'nats'
import { Counter } from 'prom-client'
import type { z } from 'zod'

/** Records per fetch, and how long a fetch waits for them: a trickle is stored within this. */
const FETCH_MAX = 256
const FETCH_EXPIRES_MS = 1000
/** Retries extend the ack deadline with working() well before it passes. */
const ACK_WAIT_MS = 60_000
const MAX_BACKOFF_MS = 30_000

/** A low-volume stream of JSON records persisted into one table (audit records, alert events). */
export interface StreamTable {
  /** What the records are, for logs and metric names (`peregrine_collector_<what>_…`). */
  what: string
  stream: string
  subject: string
  /** The durable consumer every collector instance shares. */
  consumer: string
  ensureStream(jsm: JetStreamManager): Promise<void>
  /** The row to insert for a message, or the reason it is not a record. */
  row(m: JsMsg): { row: string } | { error: unknown }
  insert(store: Store, rows: string[]): Promise<void>
}

/**
 * A `row` for records that are JSON messages: parsed by `schema`, inserted as JSONEachRow with the
 * columns `toRow` makes.
 */
export function jsonRow<T>(schema: z.ZodType<T>, toRow: (record: T) => object): StreamTable['row'] {
  return (m) => {
    try {
      const parsed = schema.safeParse(JSON.parse(m.string()))
      return parsed.success ? { row: JSON.stringify(toRow(parsed.data)) } : { error: parsed.error.issues }
    } catch (err) {
      return { error: (err as Error).message }
    }
  }
}

export interface StreamTableConsumer {
  /** Stops fetching and writes what is in hand; a write still failing is left to re-delivery. */
  stop(): Promise<void>
}

/**
 * Persists a stream into its table: fetches a batch, terminates what is not a record, inserts
 * the rest at once and acknowledges them only then; a failed insert is retried with backoff while
 * the stream holds what arrives meanwhile.
 */
export async function startStreamTable(
  t: StreamTable,
  nc: NatsConnection,
  store: Store,
  log: Logger,
  registry: Registry,
): Promise<StreamTableConsumer> {
  const r = { registers: [registry] }
  const stored = new Counter({
    name: `peregrine_collector_${t.what}_records_total`,
    help: `Records of the ${t.stream} stream stored`,
    ...r,
  })
  const rejected = new Counter({
    name: `peregrine_collector_${t.what}_rejected_total`,
    help: `Messages on the ${t.stream} stream that were not a record; terminated`,
    ...r,
  })
  const consumer = await durableConsumer(nc, t)
  const stopping = new AbortController()

  /** Waits `ms`, or less when stopping. */
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined)

  async function fetchBatch(): Promise<JsMsg[]> {
    const batch: JsMsg[] = []
    const messages = await consumer.fetch({ max_messages: FETCH_MAX, expires: FETCH_EXPIRES_MS })
    for await (const m of messages) batch.push(m)
    return batch
  }

  function rowOf(m: JsMsg): string | undefined {
    const r = t.row(m)
    if ('row' in r) return r.row
    rejected.inc()
    log.warn(
      { subject: m.subject, seq: m.seq, error: r.error },
      `rejected a message that is not a ${t.what} record`,
    )
    m.term()
    return undefined
  }

  async function write(messages: JsMsg[], rows: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await t.insert(store, rows)
      } catch (err) {
        if (isDataError(err)) return isolate(messages, rows, err)
        log.error({ err, attempt, records: messages.length }, `${t.what} write failed; retrying`)
        if (stopping.signal.aborted) return
        for (const m of messages) m.working()
        await pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 7)))
        if (stopping.signal.aborted) return
        continue
      }
      stored.inc(messages.length)
      // An ack lost with the connection only means the records come again; the table drops a
      // repeated block and readers fold what is left.
      for (const m of messages) m.ack()
      return
    }
  }

  /** ClickHouse refused the data: each record alone, so only the one at fault is terminated. */
  async function isolate(messages: JsMsg[], rows: string[], err: unknown): Promise<void> {
    if (messages.length === 1) {
      rejected.inc()
      log.warn(
        { err, subject: messages[0]!.subject, seq: messages[0]!.seq },
        `ClickHouse refused a ${t.what} record; terminated`,
      )
      messages[0]!.term()
      return
    }
    for (const [i, m] of messages.entries()) await write([m], [rows[i]!])
  }

  const loop = (async () => {
    let failures = 0
    while (!stopping.signal.aborted) {
      let batch: JsMsg[]
      const started = performance.now()
      try {
        batch = await fetchBatch()
        failures = 0
        // A fetch that ends at once with nothing (consumer gone, server busy) must not spin.
        if (!batch.length && performance.now() - started < FETCH_EXPIRES_MS / 2) await pause(250)
      } catch (err) {
        // NATS down or restarting: the messages stay in the stream.
        if (stopping.signal.aborted) break
        log.warn({ err, attempt: ++failures }, `${t.what} fetch failed; retrying`)
        await pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 7)))
        continue
      }
      try {
        const good: JsMsg[] = []
        const rows: string[] = []
        for (const m of batch) {
          const row = rowOf(m)
          if (row === undefined) continue
          good.push(m)
          rows.push(row)
        }
        if (good.length) await write(good, rows)
      } catch (err) {
        // An ack or term on a closed connection: what was not acknowledged is delivered again.
        log.warn({ err }, `${t.what} batch interrupted`)
      }
    }
  })()

  return {
    async stop() {
      stopping.abort()
      await loop
    },
  }
}

/** The durable consumer every collector instance shares; created or updated idempotently. */
async function durableConsumer(nc: NatsConnection, t: StreamTable): Promise<Consumer> {
  const jsm = await nc.jetstreamManager()
  await t.ensureStream(jsm)
  const config = {
    durable_name: t.consumer,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: 4 * FETCH_MAX,
    filter_subject: t.subject,
  }
  try {
    await jsm.consumers.info(t.stream, t.consumer)
    await jsm.consumers.update(t.stream, t.consumer, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    })
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(t.stream, config)
  }
  return nc.jetstream().consumers.get(t.stream, t.consumer)
}
