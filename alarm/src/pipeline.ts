import type { Logger } from '@peregrine/common/log'
import type { AlertEvent } from '@peregrine/common/schema'
import type { Claims } from './claims.ts'
import type { FiringState } from './firing.ts'
import { type Batch, type MergePolicy, Merger, singleId } from './merge.ts'
import { type Directory, type Recipient, recipientsOf, teamsOf } from './recipients.ts'

/** Why an event was sent to nobody, on purpose. */
export type Held = 'silenced' | 'inhibited' | 'acknowledged' | 'suppressed'

export interface PipelineDeps {
  log: Logger
  /** Users, teams, subscriptions and the tree, as the configuration holds them now. */
  directory(): Directory
  /** Ids of the silences holding `event` now; empty when none. */
  silencesOf(event: AlertEvent): string[]
  /** What holds `event` back among what fires now (inhibition rules), as text; empty when nothing. */
  inhibitionsOf(event: AlertEvent): string[]
  /** Whether someone acknowledged the PROBLEM `event` (its key's current PROBLEM). */
  acknowledged(event: AlertEvent): Promise<boolean>
  firing: FiringState
  claims: Claims
  /** Renders and delivers one notification; settles once it is sent or given up as dead. */
  deliver(batch: Batch): Promise<void>
  /** Records, for one recipient, an event that was not sent on purpose, and why. */
  held(event: AlertEvent, r: Recipient, why: Held, detail: string): void
  /** An event that names nobody: no team, subscription or callback. */
  unrouted(event: AlertEvent): void
  merge: MergePolicy & { graceMs: number }
}

/**
 * The alarm's path for one event: silences and maintenance → inhibition (a host whose heartbeat
 * is lost) → acknowledgement (stops repeats) → receivers (the strategy's teams and the
 * subscriptions on its node's path, for its priority) → at once (high priorities) or merged per
 * receiver, priority, status and metric over a window → claimed (exactly once across instances)
 * → delivered. Recoveries take the same path, and are told only where their PROBLEM was.
 */
export class Pipeline {
  readonly #merger: Merger

  constructor(private readonly deps: PipelineDeps) {
    this.#merger = new Merger(deps.merge, deps.merge.graceMs, (b) => this.send(b))
  }

  /** Settles once every notification of `event` is sent, given up, or held back; says which. */
  async handle(event: AlertEvent): Promise<Held | 'unrouted' | 'notified'> {
    const why = event.status === 'PROBLEM' ? await this.#problemHeld(event) : await this.#recoveryHeld(event)
    const dir = this.deps.directory()
    const recipients = recipientsOf(event, teamsOf(event, dir), dir)
    if (recipients.length === 0) {
      this.deps.unrouted(event)
      return 'unrouted'
    }
    if (why !== null) {
      for (const r of recipients) this.deps.held(event, r, why.reason, why.detail)
      return why.reason
    }
    await Promise.all(
      recipients.map(
        (r) =>
          this.#merger.add(event, r) ?? this.send({ id: singleId(event, r), recipient: r, events: [event] }),
      ),
    )
    return 'notified'
  }

  /** Sends what merge groups hold now (a clean stop). */
  flush(): void {
    this.#merger.closeAll()
  }

  async #problemHeld(event: AlertEvent): Promise<{ reason: Held; detail: string } | null> {
    const { firing } = this.deps
    const silences = this.deps.silencesOf(event)
    const inhibitions = silences.length ? [] : this.deps.inhibitionsOf(event)
    let held: { reason: Held; detail: string } | null = null
    if (silences.length) held = { reason: 'silenced', detail: silences.join(', ') }
    else if (inhibitions.length) held = { reason: 'inhibited', detail: inhibitions.join('; ') }
    else if (event.step > 1 && (await this.deps.acknowledged(event)))
      held = { reason: 'acknowledged', detail: 'a repeat of an acknowledged PROBLEM' }
    // A repeat keeps what the first PROBLEM decided about its recovery, and when it began.
    const before = event.step > 1 ? await firing.get(event.key) : undefined
    await firing.problem(event, held === null || before?.notified === true, before?.since ?? event.timestamp)
    return held
  }

  async #recoveryHeld(event: AlertEvent): Promise<{ reason: Held; detail: string } | null> {
    const before = await this.deps.firing.get(event.key)
    await this.deps.firing.ok(event)
    if (before !== undefined && !before.notified)
      return { reason: 'suppressed', detail: 'nobody was told of its PROBLEM (silenced or inhibited)' }
    return null
  }

  /**
   * Sends a notification unless another instance has (or is sending it). A send that cannot even
   * be queued (the queue is full, the service stops) gives its claim back and fails, so that its
   * event stays unacknowledged and is taken again.
   */
  async send(batch: Batch): Promise<void> {
    const { claims } = this.deps
    if (!(await claims.take(batch.id))) return
    try {
      await this.deps.deliver(batch)
    } catch (err) {
      await claims.release(batch.id)
      throw err
    }
    await claims.done(batch.id)
  }
}
