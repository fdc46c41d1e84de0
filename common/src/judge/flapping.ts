/**
 * Flapping: a strategy on a series whose status (PROBLEM ↔ OK) changes more than `changes` times
 * within `windowSeconds` of point time is flapping. It is notified once (an event marked
 * `flapping: true`), then stays quiet until fewer than `changes` changes lie in the window, and
 * then says once more what its status is (`flapping: false`).
 */
export interface FlappingRule {
  /** K: more changes than this within the window start flapping; fewer end it. */
  changes: number
  /** W, in seconds of point time. */
  windowSeconds: number
}

/** Five changes in ten minutes: a status that changes every two minutes or faster is flapping. */
export const DEFAULT_FLAPPING: FlappingRule = { changes: 5, windowSeconds: 600 }

/** The timestamps of the latest K + 1 status changes, in a ring allocated on the first change. */
export interface ChangeLog {
  changes: Float64Array | null
  /** Slot of the latest change. */
  changeHead: number
  changeCount: number
}

export function recordChange(log: ChangeLog, ts: number, rule: FlappingRule): void {
  const cap = rule.changes + 1
  if (log.changes === null || log.changes.length !== cap) {
    const old = log.changes
    log.changes = new Float64Array(cap)
    // Keep what an older rule recorded, newest last, as far as it fits.
    const keep = old === null ? 0 : Math.min(log.changeCount, cap)
    for (let i = 0; i < keep; i++) log.changes[keep - 1 - i] = changeAt(old!, log.changeHead, i)
    log.changeCount = keep
    log.changeHead = keep === 0 ? cap - 1 : keep - 1
  }
  log.changeHead = log.changeHead + 1 === cap ? 0 : log.changeHead + 1
  log.changes[log.changeHead] = ts
  if (log.changeCount < cap) log.changeCount++
}

/** How many recorded changes lie in (ts − W, ts]; at most K + 1. */
export function changesWithin(log: ChangeLog, ts: number, rule: FlappingRule): number {
  if (log.changes === null) return 0
  let n = 0
  while (n < log.changeCount && changeAt(log.changes, log.changeHead, n) > ts - rule.windowSeconds) n++
  return n
}

/** Timestamps of the changes, oldest first: for durable state. */
export function changeList(log: ChangeLog): number[] {
  const out: number[] = []
  if (log.changes === null) return out
  for (let i = log.changeCount - 1; i >= 0; i--) out.push(changeAt(log.changes, log.changeHead, i))
  return out
}

function changeAt(ring: Float64Array, head: number, i: number): number {
  const s = head - i
  return ring[s < 0 ? s + ring.length : s]!
}
