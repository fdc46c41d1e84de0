import type { Logger } from '@peregrine/common/log'
import { keepWatching, type Watching } from '@peregrine/common/nats'
import { AlertEvent } from '@peregrine/common/schema'
import type { KV, KvEntry, NatsConnection } from 'nats'
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

const PREFIX = 'event.'

/**
 * What is in PROBLEM now, as the alarm instances saw it, shared in a KV bucket and mirrored in
 * each instance by a watch: whether a recovery is to be told (read from the bucket itself, never
 * a lagging copy), what inhibits what, and what escalation walks.
 */
export class FiringState {
  readonly #mirror = new Map<string, Firing>()
  /** The firing events that can inhibit others (a few, among thousands firing in a storm). */
  readonly #sources = new Map<string, AlertEvent>()
  #isSource: (e: AlertEvent) => boolean = () => false
  #watching: Watching | null = null

  private constructor(private readonly kv: KV) {}

  /** Opens the bucket and resolves once the mirror holds what the bucket holds. */
  static async open(nc: NatsConnection, log: Logger): Promise<FiringState> {
    const state = new FiringState(await nc.jetstream().views.kv(FIRING_BUCKET, { history: 1 }))
    await new Promise<void>((ready) => {
      state.#watching = keepWatching(
        () => state.kv.watch({ key: `${PREFIX}>`, initializedFn: ready }),
        (e) => state.#apply(e),
        { nc, onError: (err) => log.warn({ err }, 'watching the firing events failed; reopening') },
      )
    })
    return state
  }

  async stop(): Promise<void> {
    await this.#watching?.stop()
  }

  async get(key: string): Promise<Firing | undefined> {
    const e = await this.kv.get(PREFIX + key)
    return e?.operation === 'PUT' ? parse(e) : undefined
  }

  async problem(event: AlertEvent, notified: boolean, since: number): Promise<void> {
    await this.kv.put(PREFIX + event.key, JSON.stringify({ event, notified, since } satisfies Firing))
  }

  async ok(event: AlertEvent): Promise<void> {
    await this.kv.delete(PREFIX + event.key)
  }

  /** Which firing events inhibition rules look at; every firing event is judged anew. */
  setSourceFilter(isSource: (e: AlertEvent) => boolean): void {
    this.#isSource = isSource
    this.#sources.clear()
    for (const [key, f] of this.#mirror) if (isSource(f.event)) this.#sources.set(key, f.event)
  }

  /** The firing PROBLEMs that can inhibit others (setSourceFilter). */
  sources(): AlertEvent[] {
    return [...this.#sources.values()]
  }

  /** Every PROBLEM held, with what escalation needs. */
  all(): Firing[] {
    return [...this.#mirror.values()]
  }

  #apply(e: KvEntry): void {
    const key = e.key.slice(PREFIX.length)
    const f = e.operation === 'PUT' ? parse(e) : undefined
    if (f) this.#mirror.set(key, f)
    else this.#mirror.delete(key)
    if (f && this.#isSource(f.event)) this.#sources.set(key, f.event)
    else this.#sources.delete(key)
  }
}

function parse(e: KvEntry): Firing | undefined {
  try {
    const f = Firing.safeParse(e.json())
    return f.success ? f.data : undefined
  } catch {
    return undefined
  }
}
