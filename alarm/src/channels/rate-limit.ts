/**
 * At most `limit` messages per key (address × channel) in any `windowMs`, by reservation: each
 * message is given the earliest time it may go, in the order they come, and waits until then —
 * a sliding window, so a burst never sends more than the limit within a window, and nothing is
 * dropped. Keeps the last `limit` times per key, and forgets keys idle for a window.
 */
export class RateLimit {
  private readonly recent = new Map<string, number[]>()
  private lastSweep = 0

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** How long the next message for `key` must wait (ms); 0 without a limit. */
  reserve(key: string, now: number): number {
    if (this.limit === 0) return 0
    this.sweep(now)
    const times = this.recent.get(key) ?? []
    const oldest = times.length < this.limit ? undefined : times.shift()
    const at = oldest === undefined ? now : Math.max(now, oldest + this.windowMs)
    times.push(at)
    this.recent.set(key, times)
    return at - now
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < this.windowMs) return
    this.lastSweep = now
    for (const [key, times] of this.recent)
      if ((times.at(-1) ?? 0) <= now - this.windowMs) this.recent.delete(key)
  }
}
