/** What a partition assumes of its messages before it has read one (a host's batch is ~70 KB). */
const FIRST_GUESS_BYTES = 128 * 1024
const MAX_MESSAGES_PER_FETCH = 256
const MIN_SIZE_BYTES = 1024

/**
 * Bounds the metrics bytes asked of NATS at once, over all of a judge's partitions. Each
 * partition pulls only what it has handled (a fetch, not a standing subscription), as many
 * messages as its share of the budget holds at the size of the largest message it has seen
 * lately. Without it, a backlog makes nats-server queue more for the judge than it allows one
 * client (max_pending) while the judge's event loop is busy, and the server drops the connection
 * (slow consumer) — and the judge's memory grows with everything received and not yet handled.
 */
export class ReadShare {
  #readers = 0

  constructor(readonly bytes: number) {}

  join(): PartitionReadShare {
    this.#readers++
    let left = false
    return new PartitionReadShare(this, () => {
      if (!left) this.#readers--
      left = true
    })
  }

  get readers(): number {
    return this.#readers
  }
}

/** One partition's part of a ReadShare; leave() when the partition stops. */
export class PartitionReadShare {
  /**
   * Messages are assumed this large: the largest of the last fetch that brought any, or what it
   * was before less a quarter, so a larger message counts at once and a past one fades over a few
   * fetches (an idle wait changes nothing: the next burst is sized by the last one).
   */
  #size = FIRST_GUESS_BYTES
  #largestThisFetch = 0

  constructor(
    private readonly share: ReadShare,
    readonly leave: () => void,
  ) {}

  /** Messages to ask for in the next fetch: at least one, however large they are. */
  nextFetch(): number {
    if (this.#largestThisFetch > 0)
      this.#size = Math.max(this.#largestThisFetch, Math.floor(this.#size * 0.75), MIN_SIZE_BYTES)
    this.#largestThisFetch = 0
    const mine = this.share.bytes / Math.max(1, this.share.readers)
    return Math.max(1, Math.min(MAX_MESSAGES_PER_FETCH, Math.floor(mine / this.#size)))
  }

  /** Tells the size of a message received. */
  received(bytes: number): void {
    if (bytes > this.#largestThisFetch) this.#largestThisFetch = bytes
  }
}
