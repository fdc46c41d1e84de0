import { isWrongRevision } from '@peregrine/common/nats'
import { type KV, type NatsConnection, nanos } from 'nats'
import { z } from 'zod'

export const CLAIMS_BUCKET = 'peregrine-alarm-claims'

const Claim = z.object({
  owner: z.string(),
  state: z.enum(['sending', 'done']),
  /** Unix ms of the claim (sending) or of the end (done). */
  at: z.number(),
})
type Claim = z.infer<typeof Claim>

/**
 * Exactly-once across alarm instances: a notification is sent by whoever creates its key first
 * (the server lets one creator win). A claim left `sending` by an instance that died mid-send is
 * taken over once it is older than `staleMs` (longer than any send may take): that send may have
 * gone out, so a notification in flight at a crash can arrive twice, never more.
 */
export class Claims {
  private constructor(
    private readonly kv: KV,
    private readonly owner: string,
    private readonly staleMs: number,
  ) {}

  static async open(
    nc: NatsConnection,
    o: { owner: string; staleMs: number; keepMs: number },
  ): Promise<Claims> {
    const kv = await nc.jetstream().views.kv(CLAIMS_BUCKET, { history: 1, ttl: o.keepMs })
    const jsm = await nc.jetstreamManager()
    const info = await jsm.streams.info(`KV_${CLAIMS_BUCKET}`)
    if (info.config.max_age !== nanos(o.keepMs))
      await jsm.streams.update(info.config.name, { ...info.config, max_age: nanos(o.keepMs) })
    return new Claims(kv, o.owner, o.staleMs)
  }

  /** True when this instance is now to send `id`; false when it was sent or is being sent. */
  async take(id: string): Promise<boolean> {
    const mine = this.#encode({ owner: this.owner, state: 'sending', at: Date.now() })
    try {
      await this.kv.create(id, mine)
      return true
    } catch (err) {
      if (!isWrongRevision(err)) throw err
    }
    // Taken by someone, or given back (a delete marker) since: look at it, then compare-and-set.
    const e = await this.kv.get(id)
    if (e === null) throw new Error(`claim ${id} vanished while being taken; the event will be retried`)
    if (e.operation === 'PUT') {
      const c = Claim.safeParse(e.json())
      const stale = c.success && c.data.state === 'sending' && Date.now() - c.data.at > this.staleMs
      if (c.success && !stale) return false
    }
    try {
      await this.kv.update(id, mine, e.revision)
      return true
    } catch (err) {
      if (isWrongRevision(err)) return false // another instance took it first
      throw err
    }
  }

  /** The send could not start: whoever gets the event next may send it at once. */
  async release(id: string): Promise<void> {
    await this.kv.delete(id)
  }

  /** The notification was delivered (or given up as dead): nobody sends it again. */
  async done(id: string): Promise<void> {
    await this.kv.put(id, this.#encode({ owner: this.owner, state: 'done', at: Date.now() }))
  }

  #encode(c: Claim): string {
    return JSON.stringify(c)
  }
}
