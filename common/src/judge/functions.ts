import { type Condition, comparesWithOlder, FN, OP } from './conditions.ts'
import type { History } from './history.ts'

/** `==` means |left − right| < EQUALITY_TOLERANCE; `!=` is its opposite. */
export const EQUALITY_TOLERANCE = 0.0001

/** No verdict: the window does not hold what the function needs (neither PROBLEM nor OK). */
export const UNKNOWN = -1
export const FALSE = 0
export const TRUE = 1

/** A condition's verdict; one object reused for every evaluation. */
export interface Verdict {
  /** UNKNOWN, FALSE or TRUE. */
  truth: number
  /** The value the function reports (see docs/strategy-language.md); NaN when it has none. */
  value: number
  /** Timestamp of the oldest point the function used (for a rate, the older of its two points). */
  oldest: number
}

export function newVerdict(): Verdict {
  return { truth: UNKNOWN, value: Number.NaN, oldest: Number.NaN }
}

/** `left OP right`, Open-Falcon's comparison: only `==` and `!=` have a tolerance. */
export function satisfies(left: number, op: number, right: number): boolean {
  switch (op) {
    case OP['==']:
      return Math.abs(left - right) < EQUALITY_TOLERANCE
    case OP['!=']:
      return !(Math.abs(left - right) < EQUALITY_TOLERANCE)
    case OP['<']:
      return left < right
    case OP['<=']:
      return left <= right
    case OP['>']:
      return left > right
    default:
      return left >= right
  }
}

/**
 * How many of the newest values a condition uses now; 0 when there are too few. `#N`: N (N+1
 * for diff and pdiff), all held. A duration d: the values stamped in (newest − d, newest], once
 * the series has been seen for the whole window (its first value at or before the window's
 * first step, newest − d + step) and when they are at least 1 (2 for diff and pdiff, M for
 * lookup).
 */
export function windowLength(c: Condition, h: History): number {
  if (h.size === 0) return 0
  if (c.points > 0) {
    const n = c.points + (comparesWithOlder(c.fn) ? 1 : 0)
    return h.size >= n ? n : 0
  }
  const start = h.tsAt(0) - c.seconds
  if (!(h.firstTs <= start + h.step)) return 0
  let n = 1
  while (n < h.size && h.tsAt(n) > start) n++
  const least = comparesWithOlder(c.fn) ? 2 : c.fn === FN.lookup ? c.hits : 1
  return n >= least ? n : 0
}

/** Evaluates a condition on a series' history into `out`. */
export function evaluateCondition(c: Condition, h: History, out: Verdict): void {
  const n = windowLength(c, h)
  if (n === 0) {
    out.truth = UNKNOWN
    out.value = Number.NaN
    out.oldest = Number.NaN
    return
  }
  out.oldest = h.fromAt(n - 1)
  const buf = h.buf
  const cap = h.cap
  // The window's values are buf[values + s], s = head, head - 1, … wrapping at 0 to cap - 1.
  const values = h.base + cap
  const { op, threshold } = c
  let s = h.head
  const v0 = buf[values + s]!
  let truth = false
  let value = v0
  switch (c.fn) {
    case FN.all: {
      truth = true
      for (let i = 0; i < n; i++) {
        if (!satisfies(buf[values + s]!, op, threshold)) {
          truth = false
          break
        }
        s = s === 0 ? cap - 1 : s - 1
      }
      break
    }
    case FN.lookup: {
      let hits = 0
      for (let i = 0; i < n && hits < c.hits; i++) {
        if (satisfies(buf[values + s]!, op, threshold)) hits++
        s = s === 0 ? cap - 1 : s - 1
      }
      truth = hits >= c.hits
      break
    }
    case FN.max:
    case FN.min: {
      for (let i = 1; i < n; i++) {
        s = s === 0 ? cap - 1 : s - 1
        const v = buf[values + s]!
        if (c.fn === FN.max ? v > value : v < value) value = v
      }
      truth = satisfies(value, op, threshold)
      break
    }
    case FN.sum:
    case FN.avg: {
      // The mean is taken as v0 plus the mean offset from it, so equal values average to themselves.
      let sum = v0
      let delta = 0
      for (let i = 1; i < n; i++) {
        s = s === 0 ? cap - 1 : s - 1
        const v = buf[values + s]!
        sum += v
        delta += v - v0
      }
      value = c.fn === FN.sum ? sum : v0 + delta / n
      truth = satisfies(value, op, threshold)
      break
    }
    case FN.diff:
    case FN.pdiff: {
      // Open-Falcon's: the first difference that satisfies is reported; if none does, the last one computed.
      value = Number.NaN
      for (let i = 1; i < n; i++) {
        s = s === 0 ? cap - 1 : s - 1
        const vi = buf[values + s]!
        if (c.fn === FN.pdiff) {
          if (vi === 0) continue
          value = ((v0 - vi) / vi) * 100
        } else value = v0 - vi
        if (satisfies(value, op, threshold)) {
          truth = true
          break
        }
      }
      break
    }
    default: {
      // stddev: v0 outside mean ± k·σ (population σ) of the window, v0 included; k is the threshold.
      let delta = 0
      for (let i = 1; i < n; i++) {
        s = s === 0 ? cap - 1 : s - 1
        delta += buf[values + s]! - v0
      }
      const mean = v0 + delta / n
      let squares = 0
      s = h.head
      for (let i = 0; i < n; i++) {
        const d = buf[values + s]! - mean
        squares += d * d
        s = s === 0 ? cap - 1 : s - 1
      }
      const bound = threshold * Math.sqrt(squares / n)
      truth = v0 < mean - bound || v0 > mean + bound
    }
  }
  out.truth = truth ? TRUE : FALSE
  out.value = value
}
