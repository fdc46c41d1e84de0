import type { CompiledStrategy } from './conditions.ts'
import type { FlappingRule } from './flapping.ts'

export type EventStatus = 'PROBLEM' | 'OK'
/** `value`: the strategy's condition; `nodata`: no point for the strategy's `nodata` duration. */
export type EventKind = 'value' | 'nodata'

/** A PROBLEM or OK the judge raises. */
export interface JudgeEvent {
  /** Deterministic: the same event computed twice (a replay, another judge) has the same id. */
  id: string
  kind: EventKind
  status: EventStatus
  /** 1 for the first PROBLEM and for every OK; + 1 on each repeated PROBLEM. */
  step: number
  /** Unix seconds: the timestamp of the point that raised it (nodata: when the data was due). */
  timestamp: number
  strategy: string
  priority: number
  endpoint: string
  metric: string
  tags: string
  /** The value the function reported; null for nodata events (and a function without one). */
  value: number | null
  /** Present on flapping events only: true when flapping starts, false when it ends. */
  flapping?: boolean
}

/**
 * The event id: 64-bit FNV-1a of the event key (kind, strategy, series), status and timestamp,
 * as 16 hex digits. An event key never has two events of one status at one timestamp (each
 * event is strictly newer than the one before it), so the id is unique per event.
 */
export function eventId(
  kind: EventKind,
  strategy: string,
  endpoint: string,
  metric: string,
  tags: string,
  status: EventStatus,
  timestamp: number,
): string {
  const text = `${kind}\t${strategy}\t${endpoint}\t${metric}\t${tags}\t${status}\t${timestamp}`
  let hash = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i))
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, '0')
}

export const NONE = 0
export const OK = 1
export const PROBLEM = 2
export const STATUS_TEXT = ['', 'OK', 'PROBLEM'] as const

/** The state of one value event key: what was last sent, hold and flapping. */
export interface ValueState {
  /** NONE, OK or PROBLEM: the key's status (while flapping, the status it would have). */
  status: number
  step: number
  /** Timestamp of the last event sent; −∞ before the first. */
  lastEventTs: number
  /** Since when the condition has been true, for `hold`; NaN when it is not. */
  holdSince: number
  flapping: boolean
  /** Notes a status change at `ts`, for flapping detection. */
  recordChange(ts: number): void
  /** How many status changes noted lie in the flapping window ending at `ts`. */
  changesWithin(ts: number): number
}

/** Bits of what judgeVerdict did. */
export const CHANGED = 1
export const EMIT = 2
export const FLAPPING_ON = 4
export const FLAPPING_OFF = 8

/**
 * Applies a verdict taken at point time `ts` to a value event key (SEMANTICS.md "Events"):
 * - true, and nothing sent or OK last: PROBLEM step 1, unless maxNotifications is 0;
 * - true, and PROBLEM last: PROBLEM step + 1 while step < maxNotifications, the oldest point used
 *   is newer than the last event and minInterval has passed since it;
 * - false, and PROBLEM last: OK step 1.
 * With `hold`, true counts only once it has been true (at every evaluation) for that long.
 * Nothing happens at or before the last event's timestamp: a replayed point is not news, and
 * an event is always strictly newer than the one before it.
 * Returns CHANGED (persist the state) | EMIT (send an event with state.status and state.step) |
 * FLAPPING_ON / FLAPPING_OFF (that event starts or ends flapping).
 */
export function judgeVerdict(
  st: ValueState,
  s: CompiledStrategy,
  ts: number,
  truth: boolean,
  oldest: number,
  flap: FlappingRule | null,
): number {
  if (!(ts > st.lastEventTs)) return 0
  let result = 0
  if (truth) {
    if (s.hold > 0) {
      if (Number.isNaN(st.holdSince)) {
        st.holdSince = ts
        result |= CHANGED
      }
      if (ts - st.holdSince < s.hold) return result | calmDown(st, ts, flap)
    }
    if (st.status !== PROBLEM) {
      if (s.maxNotifications > 0) result |= change(st, PROBLEM, ts, flap)
    } else if (
      !st.flapping &&
      st.step < s.maxNotifications &&
      oldest > st.lastEventTs &&
      ts - st.lastEventTs >= s.minInterval
    ) {
      st.step++
      st.lastEventTs = ts
      result |= CHANGED | EMIT
    }
  } else {
    if (!Number.isNaN(st.holdSince)) {
      st.holdSince = Number.NaN
      if (s.hold > 0) result |= CHANGED
    }
    if (st.status === PROBLEM) result |= change(st, OK, ts, flap)
  }
  return result & FLAPPING_ON ? result : result | calmDown(st, ts, flap)
}

/** Forgets a pending hold: the strategy was not evaluated (outside its active window). */
export function interruptHold(st: ValueState, s: CompiledStrategy): number {
  if (Number.isNaN(st.holdSince)) return 0
  st.holdSince = Number.NaN
  return s.hold > 0 ? CHANGED : 0
}

function change(st: ValueState, status: number, ts: number, flap: FlappingRule | null): number {
  st.status = status
  st.step = 1
  if (flap === null) {
    // Flapping detection turned off: a key restored as flapping says it no longer is.
    const was = st.flapping
    st.flapping = false
    st.lastEventTs = ts
    return CHANGED | EMIT | (was ? FLAPPING_OFF : 0)
  }
  st.recordChange(ts)
  if (st.flapping) return CHANGED // quiet: the status is kept, the change counted
  st.lastEventTs = ts
  if (st.changesWithin(ts) > flap.changes) {
    st.flapping = true
    return CHANGED | EMIT | FLAPPING_ON
  }
  return CHANGED | EMIT
}

/** Ends flapping once fewer than K changes lie in the window: one event with the status now. */
function calmDown(st: ValueState, ts: number, flap: FlappingRule | null): number {
  if (!st.flapping) return 0
  if (flap !== null && st.changesWithin(ts) >= flap.changes) return 0
  st.flapping = false
  st.step = 1
  st.lastEventTs = ts
  return CHANGED | EMIT | FLAPPING_OFF
}
