import { setTimeout as sleep } from 'node:timers/promises'
import {
  AUDIT_STREAM,
  AUDIT_SUBJECT,
  AuditRecord,
  ensureAuditStream,
  isNotFound,
  type Logger,
  type Registry,
  type Store,
  tsvEscape,
} from '@peregrine/common'
import { AckPolicy, type Consumer, DeliverPolicy, type JsMsg, type NatsConnection, nanos } from 'nats'
import { Counter } from 'prom-client'

export const AUDIT_CONSUMER = 'collector-audit'
/**
 * Column order of the rows written. @clickhouse/client trims the statement (data included) and
 * drops trailing semicolons, so the body must neither start nor end with a field that can be
 * empty or end in whitespace or ';': `at` opens each row and `action` (one of four words) closes it.
 */
export const AUDIT_COLUMNS = [
  'at',
  'actor',
  'actor_id',
  'kind',
  'id',
  'before',
  'after',
  'action',
  'paths',
] as const

/** Records per fetch, and how long a fetch waits for them: a trickle is stored within this. */
const FETCH_MAX = 256
const FETCH_EXPIRES_MS = 1000
/** Retries extend the ack deadline with working() well before it passes. */
const ACK_WAIT_MS = 60_000
const MAX_BACKOFF_MS = 30_000
/** DateTime64(3) ends with 2299; a later time would make the whole insert fail on every retry. */
const MAX_AT = Date.UTC(2299, 11, 31)

export interface AuditConsumer {
  /** Stops fetching and writes what is in hand; a write still failing is left to re-delivery. */
  stop(): Promise<void>
}

/**
 * Persists the audit stream into the `audit` table: fetches a batch, terminates what is not an
 * audit record, inserts the rest in one TabSeparated insert and acknowledges them only then;
 * a failed insert is retried with backoff while the stream holds what arrives meanwhile.
 */
export async function startAuditConsumer(
  nc: NatsConnection,
  store: Store,
  log: Logger,
  registry: Registry,
): Promise<AuditConsumer> {
  const r = { registers: [registry] }
  const records = new Counter({
    name: 'peregrine_collector_audit_records_total',
    help: 'Audit records stored',
    ...r,
  })
  const rejected = new Counter({
    name: 'peregrine_collector_audit_rejected_total',
    help: 'Messages on the audit stream that were not an audit record; terminated',
    ...r,
  })
  const consumer = await auditConsumer(nc)
  const stopping = new AbortController()

  /** Waits `ms`, or less when stopping. */
  const pause = (ms: number) => sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined)

  async function fetchBatch(): Promise<JsMsg[]> {
    const batch: JsMsg[] = []
    const messages = await consumer.fetch({ max_messages: FETCH_MAX, expires: FETCH_EXPIRES_MS })
    for await (const m of messages) batch.push(m)
    return batch
  }

  /** The TSV row of a valid record; undefined (and the message terminated) otherwise. */
  function row(m: JsMsg): string | undefined {
    let error: unknown
    try {
      const parsed = AuditRecord.safeParse(JSON.parse(m.string()))
      if (parsed.success && parsed.data.at <= MAX_AT) return toTsv(parsed.data)
      error = parsed.success ? 'at is out of range' : parsed.error.issues
    } catch (err) {
      error = (err as Error).message
    }
    rejected.inc()
    log.warn({ subject: m.subject, seq: m.seq, error }, 'rejected a message that is not an audit record')
    m.term()
    return undefined
  }

  async function write(messages: JsMsg[], body: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await store.insertTsv('audit', AUDIT_COLUMNS, body)
      } catch (err) {
        log.error({ err, attempt, records: messages.length }, 'audit write failed; retrying')
        if (stopping.signal.aborted) return
        for (const m of messages) m.working()
        await pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(attempt, 7)))
        if (stopping.signal.aborted) return
        continue
      }
      records.inc(messages.length)
      // An ack lost with the connection only means the records come again; the table drops a
      // repeated block and readers fold what is left.
      for (const m of messages) m.ack()
      return
    }
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
        log.warn({ err, attempt: ++failures }, 'audit fetch failed; retrying')
        await pause(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 7)))
        continue
      }
      try {
        const good: JsMsg[] = []
        let body = ''
        for (const m of batch) {
          const line = row(m)
          if (line === undefined) continue
          good.push(m)
          body += line
        }
        if (good.length) await write(good, body)
      } catch (err) {
        // An ack or term on a closed connection: what was not acknowledged is delivered again.
        log.warn({ err }, 'audit batch interrupted')
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
async function auditConsumer(nc: NatsConnection): Promise<Consumer> {
  const jsm = await nc.jetstreamManager()
  await ensureAuditStream(jsm)
  const config = {
    durable_name: AUDIT_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ACK_WAIT_MS),
    max_ack_pending: 4 * FETCH_MAX,
    filter_subject: AUDIT_SUBJECT,
  }
  try {
    await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER)
    await jsm.consumers.update(AUDIT_STREAM, AUDIT_CONSUMER, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    })
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(AUDIT_STREAM, config)
  }
  return nc.jetstream().consumers.get(AUDIT_STREAM, AUDIT_CONSUMER)
}

/** One TabSeparated row; `at` as unix seconds with milliseconds, which reads the same in any time zone. */
function toTsv(r: AuditRecord): string {
  const at = `${Math.floor(r.at / 1000)}.${String(r.at % 1000).padStart(3, '0')}`
  const fields = [at, r.actor, r.actorId, r.kind, r.id, json(r.before), json(r.after), r.action].map(tsvField)
  // Node paths hold only letters, digits, '_', '-' and '.', so quoting is all an array needs.
  return `${fields.join('\t')}\t[${r.paths.map((p) => `'${p}'`).join(',')}]\n`
}

/** JSON text, '' where the object did not exist. */
function json(v: unknown): string {
  return v === null || v === undefined ? '' : JSON.stringify(v)
}

/** tsvEscape, and NUL as `\0` so the statement text never carries one. */
function tsvField(s: string): string {
  return tsvEscape(s).replace(/\0/g, '\\0')
}
