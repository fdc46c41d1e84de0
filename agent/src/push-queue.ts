import { BatchBuilder, type MetricBatch } from '@peregrine/common/schema'
import type { AcceptedPoint } from './push.ts'

interface Round {
  done: Promise<void>
  settle(err?: Error): void
}

function newRound(): Round {
  let settle!: Round['settle']
  const done = new Promise<void>((resolve, reject) => {
    settle = (err) => (err ? reject(err) : resolve())
  })
  // A round nobody waits for (none in practice) must not become an unhandled rejection.
  done.catch(() => {})
  return { done, settle }
}

/**
 * Pushed points on their way to durable storage. A push waits for the flush that carries its
 * points: the first waiting push starts one at once, and pushes arriving while it runs are
 * coalesced into the next, so under load one fsync or JetStream acknowledgement serves many
 * pushes and an idle agent answers in about one round trip.
 */
export class PushQueue {
  #pending: BatchBuilder
  #round = newRound()
  #inFlight = 0
  #flushing: Promise<void> | null = null

  constructor(
    source: MetricBatch['source'],
    private readonly store: (batch: MetricBatch) => Promise<void>,
  ) {
    this.#pending = new BatchBuilder(source)
  }

  /** Points accepted and not yet stored. */
  get size(): number {
    return this.#pending.size + this.#inFlight
  }

  /** Resolves once the points are stored; rejects with the reason when they could not be. */
  add(points: AcceptedPoint[]): Promise<void> {
    for (const p of points) this.#pending.add(p.series, p.ts, p.value)
    const { done } = this.#round
    // setImmediate: the pushes already received in this turn of the event loop join the flush.
    this.#flushing ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.#flushAll())
    return done
  }

  /** Waits until every point added so far has been stored or refused (at shutdown). */
  async settle(): Promise<void> {
    await this.#flushing
  }

  async #flushAll(): Promise<void> {
    while (this.#pending.size > 0) {
      const round = this.#round
      this.#round = newRound()
      this.#inFlight = this.#pending.size
      const batch = this.#pending.take()
      await this.store(batch).then(
        () => round.settle(),
        (err: Error) => round.settle(err),
      )
      this.#inFlight = 0
    }
    this.#flushing = null
  }
}
