import { keyToken } from '@peregrine/common/nats'
import { AlertEvent } from '@peregrine/common/schema'
import type { KV, NatsConnection } from 'nats'
import { z } from 'zod'

export const FIRING_BUCKET = 'peregrine-alarm-firing'

const Firing = z.object({
  event: AlertEvent,
  /** Someone was told of this PROBLEM: its recovery is told too (else it was silenced or inhibited). */
  notified: z.boolean(),
  /** Unix seconds of the PROBLEM's first event (its repeats keep it): escalation counts from it. */
  since: z.number(),
})
export type Firing = z.infer<typeof Firing>

const eventKey = (key: string) => `event.${key}`
const hostDownKey = (endpoint: string) => `down.${keyToken(endpoint)}`

/**
 * What is in PROBLEM now, as the alarm instances saw it, shared in a KV bucket: whether a
 * recovery is to be told, which hosts are down (their heartbeat lost: inhibition), and what
 * escalation walks.
 */
export class FiringState {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<FiringState> {
    return new FiringState(await nc.jetstream().views.kv(FIRING_BUCKET, { history: 1 }))
  }

  async get(key: string): Promise<Firing | undefined> {
    const e = await this.kv.get(eventKey(key))
    if (e?.operation !== 'PUT') return undefined
    const f = Firing.safeParse(e.json())
    return f.success ? f.data : undefined
  }

  async problem(event: AlertEvent, notified: boolean, since: number): Promise<void> {
    await this.kv.put(eventKey(event.key), JSON.stringify({ event, notified, since } satisfies Firing))
    if (event.kind === 'heartbeat') await this.kv.put(hostDownKey(event.endpoint), event.key)
  }

  async ok(event: AlertEvent): Promise<void> {
    await this.kv.delete(eventKey(event.key))
    if (event.kind === 'heartbeat') await this.kv.delete(hostDownKey(event.endpoint))
  }

  /** The host's heartbeat is lost: its other events are inhibited until it is back. */
  async hostDown(endpoint: string): Promise<boolean> {
    const e = await this.kv.get(hostDownKey(endpoint))
    return e !== null && e.operation === 'PUT'
  }

  /** Every PROBLEM held (escalation walks them). */
  async *all(): AsyncIterable<Firing> {
    for await (const k of await this.kv.keys('event.>')) {
      const f = await this.get(k.slice('event.'.length))
      if (f) yield f
    }
  }
}
