import type { Store } from '@peregrine/common'

/** How long the oldest minute not rolled yet is taken as known before it is read again. */
export const HOLD_MS = 5000

/**
 * The oldest minute written and not rolled yet (rollup_dirty), or null when none is: a rollup
 * read takes the buckets from there on from the samples. Read at most every HOLD_MS (it cost
 * ~2.5 ms, half of a one-series rollup read), so a minute recorded meanwhile (a late point) may
 * be answered from its earlier roll for that long.
 */
export class RollupHorizon {
  #value: number | null = null
  #readAt = Number.NEGATIVE_INFINITY
  #reading: Promise<number | null> | null = null

  constructor(private readonly store: Store) {}

  async oldestUnrolled(): Promise<number | null> {
    if (Date.now() - this.#readAt < HOLD_MS) return this.#value
    this.#reading ??= this.#read().finally(() => {
      this.#reading = null
    })
    return this.#reading
  }

  async #read(): Promise<number | null> {
    const [row] = await this.store.query<{ m: number | null }>({
      query: 'SELECT minOrNull(from_ts) AS m FROM rollup_dirty FINAL WHERE deleted = 0',
      params: {},
    })
    this.#value = row?.m ?? null
    this.#readAt = Date.now()
    return this.#value
  }
}
