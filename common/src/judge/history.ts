import type { CounterType } from '../points.ts'

const EMPTY = new Float64Array(0)

/** What History.push did with a point. */
export const IGNORED = -1
/** Accepted, but the function sees no new value: the first point of a COUNTER, or a reset. */
export const NO_VALUE = 0
export const NEW_VALUE = 1

/**
 * The newest values of one series, as the functions see them: raw values of a GAUGE, rates of a
 * COUNTER or DERIVE. A bounded ring in one typed array, grown (never shrunk) to the largest
 * window a strategy on the series needs; nothing is allocated per point.
 *
 * Rates are computed once, as each point arrives, between it and the previous accepted point:
 * (v - v_prev) / (t - t_prev), stamped at t; a COUNTER that goes down was reset or wrapped and
 * that interval gives no rate (the rule of rates.ts), so the window then reaches one point
 * further back. Each rate also keeps t_prev, the older of the two points it used, for the rule
 * that a repeated PROBLEM uses only points newer than the last event.
 */
export class History {
  /** Timestamps at [0, cap), values at [cap, 2·cap); for rates, t_prev at [2·cap, 3·cap). */
  buf: Float64Array = EMPTY
  cap = 0
  /** Values held, at most cap. */
  size = 0
  /** Slot of the newest value. */
  head = 0
  /** Timestamp of the newest accepted point (raw, not a rate): older or equal ones are ignored. */
  lastTs = Number.NEGATIVE_INFINITY
  lastRaw = Number.NaN
  /** Stamp of the first value since the history began: has a duration window been covered? */
  firstTs = Number.NaN
  #rates: boolean
  #counter: boolean

  constructor(
    type: CounterType,
    public step: number,
  ) {
    this.#rates = type !== 'GAUGE'
    this.#counter = type === 'COUNTER'
  }

  get rates(): boolean {
    return this.#rates
  }

  /** Forgets every point: the series changed its counter type or step. */
  reset(type: CounterType, step: number): void {
    const rates = type !== 'GAUGE'
    if (rates !== this.#rates && this.cap > 0) this.buf = new Float64Array(this.cap * (rates ? 3 : 2))
    this.#rates = rates
    this.#counter = type === 'COUNTER'
    this.step = step
    this.size = 0
    this.head = 0
    this.lastTs = Number.NEGATIVE_INFINITY
    this.lastRaw = Number.NaN
    this.firstTs = Number.NaN
  }

  /** Makes room for `cap` values, keeping the newest ones held. */
  ensure(cap: number): void {
    if (cap <= this.cap) return
    const width = this.#rates ? 3 : 2
    const buf = new Float64Array(cap * width)
    // Oldest first at slot 0, so the newest lands at size - 1.
    for (let i = 0; i < this.size; i++) {
      const from = this.slot(this.size - 1 - i)
      for (let k = 0; k < width; k++) buf[k * cap + i] = this.buf[k * this.cap + from]!
    }
    this.buf = buf
    this.cap = cap
    this.head = this.size === 0 ? 0 : this.size - 1
  }

  /** Adds a point at an aligned timestamp; see IGNORED, NO_VALUE, NEW_VALUE. */
  push(ts: number, value: number): number {
    if (!(ts > this.lastTs)) return IGNORED
    const prevTs = this.lastTs
    const prev = this.lastRaw
    this.lastTs = ts
    this.lastRaw = value
    if (!this.#rates) {
      this.#append(ts, value, ts)
      return NEW_VALUE
    }
    if (prevTs === Number.NEGATIVE_INFINITY) return NO_VALUE
    const dv = value - prev
    if (this.#counter && dv < 0) return NO_VALUE
    this.#append(ts, dv / (ts - prevTs), prevTs)
    return NEW_VALUE
  }

  #append(ts: number, value: number, from: number): void {
    if (Number.isNaN(this.firstTs)) this.firstTs = ts
    const cap = this.cap
    if (cap === 0) return
    this.head = this.size === 0 || this.head + 1 === cap ? 0 : this.head + 1
    this.buf[this.head] = ts
    this.buf[cap + this.head] = value
    if (this.#rates) this.buf[2 * cap + this.head] = from
    if (this.size < cap) this.size++
  }

  /** Slot of the i-th newest value (0 = newest); i < size. */
  slot(i: number): number {
    const s = this.head - i
    return s < 0 ? s + this.cap : s
  }

  tsAt(i: number): number {
    return this.buf[this.slot(i)]!
  }

  valueAt(i: number): number {
    return this.buf[this.cap + this.slot(i)]!
  }

  /** The oldest point the i-th newest value was computed from: its own timestamp for a GAUGE. */
  fromAt(i: number): number {
    return this.buf[(this.#rates ? 2 * this.cap : 0) + this.slot(i)]!
  }
}
