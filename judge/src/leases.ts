import type { Logger } from '@peregrine/common/log'
import { fnv1a32, isWrongRevision } from '@peregrine/common/nats'
import { type JetStreamManager, type KV, type NatsConnection, nanos } from 'nats'

/** Bucket of the judges' partition leases and membership heartbeats. */
export const LEASES_BUCKET = 'peregrine-judge-leases'

export interface LeaseOptions {
  /** Partitions to share (METRICS_PARTITIONS in production). */
  partitions: number
  /** This instance's name, unique among the live judges. */
  instance: string
  /**
   * How long a lease outlives its last renewal: the bucket's max age, so the server itself drops
   * a dead judge's leases, with no clock shared between judges.
   */
  leaseMs: number
  /** Between renewals: well under leaseMs, so one lost renewal costs nothing. */
  renewMs: number
}

export interface PartitionHandlers {
  /** The partition is this instance's: start evaluating it. */
  acquired(partition: number): Promise<void>
  /** Stop evaluating it; the lease is given up only once this has returned. */
  released(partition: number): Promise<void>
}

interface Held {
  revision: number
  /** performance.now() when the renewal that the lease now rests on was sent. */
  renewedAt: number
  /** The partition's start, which runs beside the renewals (a replay may outlast a lease). */
  started: Promise<void>
}

const partitionKey = (p: number) => `p.${p}`
const memberKey = (instance: string) => `members.${instance}`

/** The leases bucket, with the max age a lease lives unrenewed. */
export interface LeasesBucket {
  kv: KV
  jsm: JetStreamManager
  stream: string
}

/**
 * Opens (or creates) the leases bucket and makes sure its max age is the lease time: a bucket
 * created by someone else without one would keep a dead judge's leases for ever. Requests time
 * out within two renewal periods (half a lease at most): a reply late under load still counts,
 * and a lost one is asked again well before the fence (its own timer) stops the partition.
 */
export async function openLeasesBucket(
  nc: NatsConnection,
  o: Pick<LeaseOptions, 'leaseMs' | 'renewMs'>,
): Promise<LeasesBucket> {
  const timeout = Math.max(500, Math.min(2 * o.renewMs, o.leaseMs / 2))
  const kv = await nc.jetstream({ timeout }).views.kv(LEASES_BUCKET, { history: 1, ttl: o.leaseMs })
  const jsm = await nc.jetstreamManager({ timeout })
  const stream = `KV_${LEASES_BUCKET}`
  const info = await jsm.streams.info(stream)
  if (info.config.max_age !== nanos(o.leaseMs))
    await jsm.streams.update(stream, { ...info.config, max_age: nanos(o.leaseMs) })
  return { kv, jsm, stream }
}

/**
 * Shares the partitions among the live judges through leases in a KV bucket: a partition is
 * taken by creating its key (only one creator wins), kept by compare-and-set renewals, and lost
 * to the server's max age when its holder dies. Each judge aims at its fair share (partitions ÷
 * live judges, rounded up): it takes free partitions below it and gives up extras above it, so a
 * joining judge gets work and a dead one's partitions move within about one lease.
 *
 * Never two holders at once: a holder that cannot renew stops evaluating a margin before its
 * lease can expire on the server, counting from when it sent the renewal the lease rests on.
 */
export class PartitionLeases {
  readonly #held = new Map<number, Held>()
  #timer: NodeJS.Timeout | null = null
  #renewer: NodeJS.Timeout | null = null
  #fence: NodeJS.Timeout | null = null
  /** Renewals under way, by partition: one at a time per lease. */
  readonly #renewing = new Map<number, Promise<void>>()
  #tick: Promise<void> = Promise.resolve()
  #stopped = false

  private readonly kv: KV

  constructor(
    private readonly bucket: LeasesBucket,
    private readonly o: LeaseOptions,
    private readonly handlers: PartitionHandlers,
    private readonly log: Logger,
  ) {
    this.kv = bucket.kv
  }

  /** The partitions this instance evaluates now. */
  get owned(): number[] {
    return [...this.#held.keys()].sort((a, b) => a - b)
  }

  start(): void {
    // Renewals on their own timer, each sent on time whatever the survey and takes are waiting
    // for: under load every round trip waits for an event-loop turn, and a round of several in a
    // row would leave leases unrenewed long enough to be fenced.
    this.#renewer = setInterval(() => this.#renew(), this.o.renewMs)
    this.#fence = setInterval(() => this.#fenceExpired(), Math.max(50, this.o.renewMs / 2))
    const loop = () => {
      if (this.#stopped) return
      this.#tick = this.#round()
        .catch((err) => this.log.warn({ err }, 'judge lease round failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.o.renewMs)
        })
    }
    loop()
  }

  /** Stops evaluating everything and gives the leases up, so others take them at once. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    if (this.#renewer) clearInterval(this.#renewer)
    if (this.#fence) clearInterval(this.#fence)
    await this.#tick
    await Promise.allSettled(this.#renewing.values())
    for (const p of this.owned) await this.#release(p)
    await this.kv.delete(memberKey(this.o.instance)).catch(() => undefined)
  }

  /** Membership, then the fair share: partitions taken or given up. */
  async #round(): Promise<void> {
    const sentAt = performance.now()
    await this.kv.put(memberKey(this.o.instance), this.o.instance)
    const fair = Math.ceil(this.o.partitions / Math.max(1, await this.#members()))
    // Above the fair share (a judge joined): give extras up, one per round, to move gently.
    if (this.#held.size > fair) {
      const extra = this.owned.at(-1)
      if (extra !== undefined) await this.#release(extra)
      return
    }
    if (this.#held.size >= fair) return
    // Below it: try the partitions not ours, from a different place on each judge so that
    // joining judges do not all race for the same keys. Taken ones refuse the creation.
    const others = [...Array(this.o.partitions).keys()].filter((p) => !this.#held.has(p))
    const offset = fnv1a32(this.o.instance) % Math.max(1, others.length)
    const order = [...others.slice(offset), ...others.slice(0, offset)]
    // As many tries at once as partitions are missing, until enough are taken or none is left.
    while (order.length && this.#held.size < fair && !this.#stopped)
      await Promise.all(order.splice(0, fair - this.#held.size).map((p) => this.#take(p, sentAt)))
  }

  /** Sends a renewal for every lease held that has none under way. */
  #renew(): void {
    for (const [p, h] of this.#held) {
      if (this.#renewing.has(p)) continue
      const renewal = this.#renewOne(p, h)
        .catch((err) => this.log.warn({ err, partition: p }, 'renewing a judge lease failed; retrying'))
        .finally(() => this.#renewing.delete(p))
      this.#renewing.set(p, renewal)
    }
  }

  async #renewOne(p: number, h: Held): Promise<void> {
    const sentAt = performance.now()
    try {
      h.revision = await this.kv.update(partitionKey(p), this.o.instance, h.revision)
      h.renewedAt = sentAt
    } catch (err) {
      if (!isWrongRevision(err)) throw err
      // A renewal that timed out may have been applied all the same: then the key still names
      // this judge, at a revision it did not see.
      const e = await this.kv.get(partitionKey(p))
      if (e?.operation === 'PUT' && e.string() === this.o.instance) {
        h.revision = e.revision
        return
      }
      if (this.#held.get(p) !== h) return // dropped meanwhile
      this.log.warn({ partition: p }, 'judge lease lost to another instance')
      await this.#drop(p)
    }
  }

  /** Stops every partition whose lease may expire on the server before a renewal gets through. */
  #fenceExpired(): void {
    const now = performance.now()
    for (const [p, h] of this.#held)
      if (now - h.renewedAt > this.#safeMs()) {
        this.log.warn({ partition: p }, 'judge lease could not be renewed in time; stopping it')
        void this.#drop(p)
      }
  }

  /**
   * Live judges: membership keys the server still holds (max age) and not deleted. Read from the
   * stream's subject list, one consistent answer, rather than a key listing, which can come back
   * short while keys are being rewritten.
   */
  async #members(): Promise<number> {
    const info = await this.bucket.jsm.streams.info(this.bucket.stream, {
      subjects_filter: `$KV.${LEASES_BUCKET}.members.>`,
    })
    let live = 0
    for (const subject of Object.keys(info.state.subjects ?? {})) {
      const e = await this.kv.get(subject.slice(`$KV.${LEASES_BUCKET}.`.length))
      if (e?.operation === 'PUT') live++
    }
    return live
  }

  async #take(p: number, sentAt: number): Promise<void> {
    let revision: number
    try {
      revision = await this.kv.create(partitionKey(p), this.o.instance)
    } catch (err) {
      if (isWrongRevision(err)) return // another judge was quicker
      throw err
    }
    const started = this.handlers.acquired(p).catch((err) => {
      this.log.error({ err, partition: p }, 'starting a partition failed; giving it up')
      void this.#release(p)
    })
    this.#held.set(p, { revision, renewedAt: sentAt, started })
  }

  /** Stops a partition and deletes its lease (only if still ours) so another judge can take it now. */
  async #release(p: number): Promise<void> {
    const h = this.#held.get(p)
    await this.#drop(p)
    if (h) await this.kv.delete(partitionKey(p), { previousSeq: h.revision }).catch(() => undefined)
  }

  async #drop(p: number): Promise<void> {
    const h = this.#held.get(p)
    if (!h || !this.#held.delete(p)) return
    await h.started
    try {
      await this.handlers.released(p)
    } catch (err) {
      this.log.error({ err, partition: p }, 'stopping a partition failed')
    }
  }

  /** How long a lease may go unrenewed before its holder stops: a second short of its expiry. */
  #safeMs(): number {
    return Math.max(this.o.renewMs, this.o.leaseMs - Math.max(1000, this.o.renewMs))
  }
}
