import { COUNTER_TYPES, type CounterType } from '../points.ts'
import { grown, grownCapacity } from './columns.ts'
import { Slab } from './slab.ts'

/** What History.push did with a point. */
export const IGNORED = -1
/** Accepted, but the function sees no new value: the first point of a COUNTER, or a reset. */
export const NO_VALUE = 0
export const NEW_VALUE = 1

/** Kinds of series, as indexes of COUNTER_TYPES. */
const GAUGE = COUNTER_TYPES.indexOf('GAUGE')
const COUNTER = COUNTER_TYPES.indexOf('COUNTER')

/**
 * The newest values of series, as the functions see them: raw values of a GAUGE, rates of a
 * COUNTER or DERIVE. Per series a bounded ring, grown (never shrunk) to the largest window a
 * strategy on the series needs; nothing is allocated per point.
 *
 * Rates are computed once, as each point arrives, between it and the previous accepted point:
 * (v - v_prev) / (t - t_prev), stamped at t; a COUNTER that goes down was reset or wrapped and
 * that interval gives no rate (the rule of rates.ts), so the window then reaches one point
 * further back. Each rate also keeps t_prev, the older of the two points it used, for the rule
 * that a repeated PROBLEM uses only points newer than the last event.
 *
 * One History holds many series (an Evaluator keeps all of its own in one), each a slot: its
 * numbers in typed columns and its ring in one Slab, so that a series is no object to the garbage
 * collector. The members below push, tsAt, size… work on the series `at` selected;
 * `new History(type, step)` holds one series, selected.
 */
export class History {
  readonly #rings = new Slab()
  #slots = 0
  /** The selected slot. */
  #at = 0
  /** Timestamp of the newest accepted point (raw, not a rate): older or equal ones are ignored. */
  #lastTs = new Float64Array(0)
  #lastRaw = new Float64Array(0)
  /** Stamp of the first value since the history began: has a duration window been covered? */
  #firstTs = new Float64Array(0)
  #step = new Float64Array(0)
  #kind = new Uint8Array(0)
  /** Offset of the ring in the slab; see `base`. */
  #base = new Int32Array(0)
  #cap = new Int32Array(0)
  /** Values held, at most cap. */
  #size = new Int32Array(0)
  /** Ring index of the newest value. */
  #head = new Int32Array(0)

  constructor(type?: CounterType, step = 1) {
    if (type !== undefined) this.at(this.add(type, step))
  }

  /** A new series, without points or room for them yet; returns its slot. */
  add(type: CounterType, step: number): number {
    if (this.#slots === this.#kind.length) this.#grow(grownCapacity(this.#slots, this.#slots + 1))
    const slot = this.#slots++
    this.#cap[slot] = 0
    this.#kind[slot] = COUNTER_TYPES.indexOf(type)
    this.#forget(slot, step)
    return slot
  }

  /** Selects the series that the members below work on. */
  at(slot: number): this {
    this.#at = slot
    return this
  }

  /** Every ring: read it again after ensure or reset, which may grow it. */
  get buf(): Float64Array {
    return this.#rings.data
  }

  /**
   * Where the ring starts in buf: timestamps at base + [0, cap), values at base + [cap, 2·cap),
   * and for rates t_prev at base + [2·cap, 3·cap).
   */
  get base(): number {
    return this.#base[this.#at]!
  }

  get cap(): number {
    return this.#cap[this.#at]!
  }

  get size(): number {
    return this.#size[this.#at]!
  }

  get head(): number {
    return this.#head[this.#at]!
  }

  get lastTs(): number {
    return this.#lastTs[this.#at]!
  }

  get firstTs(): number {
    return this.#firstTs[this.#at]!
  }

  get step(): number {
    return this.stepOf(this.#at)
  }

  /** The step of any series, selected or not. */
  stepOf(slot: number): number {
    return this.#step[slot]!
  }

  /** The counter type of any series, selected or not. */
  counterTypeOf(slot: number): CounterType {
    return COUNTER_TYPES[this.#kind[slot]!]!
  }

  get rates(): boolean {
    return this.#kind[this.#at] !== GAUGE
  }

  /** Forgets every point: the series changed its counter type or step. */
  reset(type: CounterType, step: number): void {
    const a = this.#at
    const cap = this.#cap[a]!
    const widthBefore = this.#width(a)
    this.#kind[a] = COUNTER_TYPES.indexOf(type)
    if (this.#width(a) !== widthBefore && cap > 0) {
      this.#rings.release(this.#base[a]!, cap * widthBefore)
      this.#base[a] = this.#rings.allocate(cap * this.#width(a))
    }
    this.#forget(a, step)
  }

  /** Makes room for `cap` values, keeping the newest ones held. */
  ensure(cap: number): void {
    const a = this.#at
    const capBefore = this.#cap[a]!
    if (cap <= capBefore) return
    const width = this.#width(a)
    const base = this.#rings.allocate(cap * width)
    const buf = this.#rings.data
    const size = this.#size[a]!
    // Oldest first at index 0, so the newest lands at size - 1.
    for (let i = 0; i < size; i++) {
      const from = this.#base[a]! + this.slot(size - 1 - i)
      for (let k = 0; k < width; k++) buf[base + k * cap + i] = buf[from + k * capBefore]!
    }
    if (capBefore > 0) this.#rings.release(this.#base[a]!, capBefore * width)
    this.#base[a] = base
    this.#cap[a] = cap
    this.#head[a] = size === 0 ? 0 : size - 1
  }

  /** Adds a point at an aligned timestamp; see IGNORED, NO_VALUE, NEW_VALUE. */
  push(ts: number, value: number): number {
    const a = this.#at
    const prevTs = this.#lastTs[a]!
    if (!(ts > prevTs)) return IGNORED
    const prev = this.#lastRaw[a]!
    this.#lastTs[a] = ts
    this.#lastRaw[a] = value
    const kind = this.#kind[a]!
    if (kind === GAUGE) {
      this.#append(ts, value, ts)
      return NEW_VALUE
    }
    if (prevTs === Number.NEGATIVE_INFINITY) return NO_VALUE
    const dv = value - prev
    if (kind === COUNTER && dv < 0) return NO_VALUE
    this.#append(ts, dv / (ts - prevTs), prevTs)
    return NEW_VALUE
  }

  /** Ring index of the i-th newest value (0 = newest); i < size. */
  slot(i: number): number {
    const s = this.#head[this.#at]! - i
    return s < 0 ? s + this.#cap[this.#at]! : s
  }

  tsAt(i: number): number {
    return this.#rings.data[this.#base[this.#at]! + this.slot(i)]!
  }

  valueAt(i: number): number {
    const a = this.#at
    return this.#rings.data[this.#base[a]! + this.#cap[a]! + this.slot(i)]!
  }

  /** The oldest point the i-th newest value was computed from: its own timestamp for a GAUGE. */
  fromAt(i: number): number {
    const a = this.#at
    const column = this.#kind[a] === GAUGE ? 0 : 2 * this.#cap[a]!
    return this.#rings.data[this.#base[a]! + column + this.slot(i)]!
  }

  #append(ts: number, value: number, from: number): void {
    const a = this.#at
    if (Number.isNaN(this.#firstTs[a]!)) this.#firstTs[a] = ts
    const cap = this.#cap[a]!
    if (cap === 0) return
    const size = this.#size[a]!
    const head = size === 0 || this.#head[a]! + 1 === cap ? 0 : this.#head[a]! + 1
    this.#head[a] = head
    const buf = this.#rings.data
    const at = this.#base[a]! + head
    buf[at] = ts
    buf[at + cap] = value
    if (this.#kind[a] !== GAUGE) buf[at + 2 * cap] = from
    if (size < cap) this.#size[a] = size + 1
  }

  /** Floats per value held: timestamp and value, and t_prev for rates. */
  #width(slot: number): number {
    return this.#kind[slot] === GAUGE ? 2 : 3
  }

  #forget(slot: number, step: number): void {
    this.#step[slot] = step
    this.#size[slot] = 0
    this.#head[slot] = 0
    this.#lastTs[slot] = Number.NEGATIVE_INFINITY
    this.#lastRaw[slot] = Number.NaN
    this.#firstTs[slot] = Number.NaN
  }

  #grow(capacity: number): void {
    this.#lastTs = grown(this.#lastTs, capacity)
    this.#lastRaw = grown(this.#lastRaw, capacity)
    this.#firstTs = grown(this.#firstTs, capacity)
    this.#step = grown(this.#step, capacity)
    this.#kind = grown(this.#kind, capacity)
    this.#base = grown(this.#base, capacity)
    this.#cap = grown(this.#cap, capacity)
    this.#size = grown(this.#size, capacity)
    this.#head = grown(this.#head, capacity)
  }
}
