import { randomUUID } from 'node:crypto'
import type { Logger } from '@peregrine/common'
import type { JetStreamClient, NatsConnection } from 'nats'
import type { Spool } from './spool.ts'

const PUBLISH_TIMEOUT_MS = 5000

/**
 * Sends batches to the metrics stream, in order. While NATS (or the stream) cannot be reached,
 * batches go to the spool; once it answers again, the spool is resent oldest first, each batch
 * under the message id it was first given, so a batch the server did get is not stored twice.
 */
export class Publisher {
  #js: JetStreamClient
  #connected = true
  #draining: Promise<void> | null = null
  #timer: NodeJS.Timeout
  publishFailures = 0

  constructor(
    nc: NatsConnection,
    private readonly subject: string,
    private readonly spool: Spool,
    private readonly log: Logger,
  ) {
    this.#js = nc.jetstream()
    void this.#watch(nc)
    this.#timer = setInterval(() => this.kick(), 1000)
    this.#timer.unref()
  }

  async send(data: Uint8Array, points: number): Promise<void> {
    const msgId = randomUUID()
    if (this.spool.size === 0 && this.#connected && (await this.#publish(data, msgId))) return
    await this.spool.append(msgId, data, points)
    this.kick()
  }

  /** Starts resending the spool unless that is already under way. */
  kick(): void {
    if (this.#draining || this.spool.size === 0 || !this.#connected) return
    this.#draining = this.#drain().finally(() => {
      this.#draining = null
    })
  }

  /** Waits for a resend under way to finish (used at shutdown). */
  async settle(): Promise<void> {
    await this.#draining
  }

  close(): void {
    clearInterval(this.#timer)
  }

  async #drain(): Promise<void> {
    for (let entry = this.spool.oldest(); entry && this.#connected; entry = this.spool.oldest()) {
      const data = await this.spool.read(entry)
      if (!(await this.#publish(data, entry.msgId))) return
      await this.spool.remove(entry)
    }
  }

  async #publish(data: Uint8Array, msgID: string): Promise<boolean> {
    try {
      await this.#js.publish(this.subject, data, { msgID, timeout: PUBLISH_TIMEOUT_MS })
      return true
    } catch (err) {
      this.publishFailures++
      this.log.warn({ err: (err as Error).message }, 'publish failed; spooling')
      return false
    }
  }

  async #watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.#connected = false
      if (s.type === 'reconnect') {
        this.#connected = true
        this.kick()
      }
    }
  }
}
