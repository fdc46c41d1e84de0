import { randomUUID } from 'node:crypto'
import type { Logger } from '@peregrine/common/log'
import { seriesDefinitionsWriter } from '@peregrine/common/nats'
import { cutBatch, MAX_BATCH_BYTES, type MetricBatch, WireSender } from '@peregrine/common/schema'
import { ErrorCode, type JetStreamClient, type NatsConnection, type NatsError } from 'nats'
import { type Spool, type SpoolEntry, SpoolWriteError } from './spool.ts'

const PUBLISH_TIMEOUT_MS = 5000
/** Room left under the server's max_payload for the headers (Nats-Msg-Id) and framing. */
const HEADER_ROOM = 64 * 1024
/**
 * nats-server's default max_payload: what batches are cut to fit before the agent has ever
 * reached its server (and learnt its limit), so that no spooled batch is too large for it.
 */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024

/** The points could be made durable nowhere: neither JetStream nor the spool took them. */
export class NotStoredError extends Error {
  override name = 'NotStoredError'

  constructor(
    message: string,
    /** Short machine-readable cause, also a tag of the agent.durable metric. */
    readonly code: string,
  ) {
    super(message)
  }
}

type Outcome = { ok: true } | { ok: false; permanent: boolean; error: string }

/** Points dropped for good, by why: a reason an SRE can act on. */
export interface Dropped {
  /** JetStream refused a spooled batch for good (too large, not permitted). */
  refused: number
  /** A spool file could not be read back (deleted or unreadable underneath). */
  unreadable: number
}

/**
 * Stores batches: each message is acknowledged by JetStream or written to the spool with fsync
 * before store() resolves, so a caller may acknowledge the points to whoever sent them. While
 * NATS (or the stream) cannot be reached batches go to the spool; once it answers again the spool
 * is resent oldest first, each batch under the message id it was first given, so a batch the
 * server did get is not stored twice. A spooled batch the server refuses for good is dropped and
 * counted, so it never blocks the ones behind it. Until it is given a connection (attach), every
 * batch goes to the spool: the agent starts while NATS cannot be reached.
 *
 * Messages are v2 batches (common/src/wire.ts): series as ids of the agent's dictionary, whose
 * definitions go to the series bucket; a message published at once leaves out those the bucket
 * acknowledged, a spooled one carries all of its own, so it can be resent whatever happened since.
 */
export class Publisher {
  #nc: NatsConnection | undefined
  #js: JetStreamClient | undefined
  #connected = false
  #draining: Promise<void> | null = null
  /** Set while batches wait in the spool: a resend is tried every second. */
  #retry: NodeJS.Timeout | undefined
  #closed = false
  /** Messages are stored one at a time, so the spool keeps the order they were sent in. */
  #queue: Promise<unknown> = Promise.resolve()
  publishFailures = 0
  dropped: Dropped = { refused: 0, unreadable: 0 }
  /** Why the last store failed; null once one succeeds again. */
  problem: NotStoredError | null = null
  #lastPublishError = ''
  readonly #wire: WireSender
  #saveDefinitions: ReturnType<typeof seriesDefinitionsWriter> | undefined
  /** Logged once when saves start failing, not once per chunk and retry. */
  #definitionsFailing = false

  constructor(
    private readonly subject: string,
    private readonly spool: Spool,
    private readonly log: Logger,
  ) {
    this.#wire = new WireSender(async (epoch, chunk, keys) => {
      try {
        if (!this.#saveDefinitions) throw new Error('not connected to NATS yet')
        await this.#saveDefinitions(epoch, chunk, keys)
        this.#definitionsFailing = false
      } catch (err) {
        if (!this.#definitionsFailing)
          this.log.warn(
            { err: (err as Error).message },
            'series definitions not saved; they travel inline meanwhile',
          )
        this.#definitionsFailing = true
        throw err
      }
    })
    this.#retryWhileSpooled()
  }

  /** Publishes through `nc` from now on, starting with what waits in the spool (not once closed). */
  attach(nc: NatsConnection): void {
    if (this.#closed) return
    this.#nc = nc
    this.#js = nc.jetstream()
    this.#saveDefinitions = seriesDefinitionsWriter(nc, this.subject)
    this.#connected = !nc.isClosed()
    void this.#watch(nc)
    this.kick()
  }

  get connected(): boolean {
    return this.#connected
  }

  /**
   * Cuts the batch into messages that fit (MAX_BATCH_POINTS, MAX_BATCH_SERIES and the server's
   * max_payload) and stores each; throws NotStoredError when a message could be stored nowhere.
   * `acknowledged`: the points will be acknowledged to their sender once stored (a push), so the
   * spool never drops them to make room.
   */
  store(batch: MetricBatch, acknowledged = false): Promise<void> {
    const task = this.#queue.then(async () => {
      const maxBytes = this.#maxBytes()
      for (const part of cutBatch(batch, (p) => this.#wire.maxSize(p) <= maxBytes))
        await this.#storeOne(part, acknowledged)
    })
    this.#queue = task.catch(() => {})
    return task.then(
      () => {
        this.problem = null
      },
      (err: Error) => {
        this.problem = err instanceof NotStoredError ? err : new NotStoredError(err.message, 'error')
        throw this.problem
      },
    )
  }

  #maxBytes(): number {
    const serverMax = this.#nc?.info?.max_payload ?? DEFAULT_MAX_PAYLOAD
    return Math.min(MAX_BATCH_BYTES, serverMax - HEADER_ROOM)
  }

  async #storeOne(part: MetricBatch, acknowledged: boolean): Promise<void> {
    const msgId = randomUUID()
    const direct = this.#connected && this.spool.size === 0
    if (direct) {
      const r = await this.#publish(this.#wire.encode(part, false), msgId)
      if (r.ok) return
      if (r.permanent) throw new NotStoredError(`NATS refused the batch: ${r.error}`, 'refused')
    }
    const data = this.#wire.encode(part, true)
    try {
      await this.spool.append(msgId, data, part.refs.length, acknowledged)
    } catch (err) {
      if (!(err instanceof SpoolWriteError)) throw err
      // The spool is for keeping order; when the disk fails, being stored out of order is better.
      if (!direct && this.#connected && (await this.#publish(data, msgId)).ok) return
      const nats = this.#connected ? `NATS publish failed (${this.#lastPublishError})` : 'NATS is unreachable'
      throw new NotStoredError(`${nats} and the spool cannot be written: ${err.message}`, err.code)
    }
    this.kick()
  }

  /** Starts resending the spool unless that is already under way. */
  kick(): void {
    this.#retryWhileSpooled()
    if (this.#draining || this.spool.size === 0 || !this.#connected) return
    this.#draining = this.#drain()
      .catch((err: Error) => this.log.error({ err }, 'resending the spool failed; will retry'))
      .finally(() => {
        this.#draining = null
      })
  }

  /** Waits for a resend under way to finish (used at shutdown). */
  async settle(): Promise<void> {
    await this.#queue
    await this.#draining
    await this.#wire.settle()
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#retry)
  }

  /**
   * Tries a resend every second while the spool holds batches (a resend that failed is tried
   * again), and not at all otherwise: an idle timer is work an agent on every host need not do.
   */
  #retryWhileSpooled(): void {
    if (this.#retry || this.#closed || this.spool.size === 0) return
    this.#retry = setInterval(() => {
      if (this.spool.size > 0) return this.kick()
      clearInterval(this.#retry)
      this.#retry = undefined
    }, 1000)
    this.#retry.unref()
  }

  async #drain(): Promise<void> {
    for (let entry = this.spool.oldest(); entry && this.#connected; entry = this.spool.oldest()) {
      if (!(await this.#resend(entry))) return
    }
  }

  /** Sends one spooled batch; false when NATS did not take it and it must wait. */
  async #resend(entry: SpoolEntry): Promise<boolean> {
    let data: Buffer
    try {
      data = await this.spool.read(entry)
    } catch (err) {
      this.dropped.unreadable += entry.points
      this.log.error({ file: entry.file, err: (err as Error).message }, 'spooled batch unreadable; dropped')
      await this.spool.remove(entry)
      return true
    }
    const r = await this.#publish(data, entry.msgId)
    if (!r.ok && !r.permanent) return false
    if (!r.ok) {
      this.dropped.refused += entry.points
      this.log.error(
        { file: entry.file, err: r.error, points: entry.points },
        'spooled batch refused; dropped',
      )
    }
    await this.spool.remove(entry)
    return true
  }

  async #publish(data: Uint8Array, msgID: string): Promise<Outcome> {
    if (!this.#js) return { ok: false, permanent: false, error: 'not connected to NATS yet' }
    try {
      await this.#js.publish(this.subject, data, { msgID, timeout: PUBLISH_TIMEOUT_MS })
      return { ok: true }
    } catch (err) {
      this.publishFailures++
      const error = (err as Error).message
      this.#lastPublishError = error
      const permanent = isPermanent(err as NatsError)
      this.log.warn({ err: error, permanent }, permanent ? 'publish refused' : 'publish failed; spooling')
      return { ok: false, permanent, error }
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.#connected = false
      if (s.type === 'reconnect') {
        this.#connected = true
        this.#wire.forgetSaved()
        this.kick()
      }
    }
  }
}

/**
 * Errors no retry can fix: the message is over the server's max_payload, the credential may not
 * publish there, or JetStream rejected the message itself (a 400 such as its max_msg_size).
 */
function isPermanent(err: NatsError): boolean {
  return (
    err.code === ErrorCode.MaxPayloadExceeded ||
    err.code === ErrorCode.PermissionsViolation ||
    err.api_error?.code === 400
  )
}
