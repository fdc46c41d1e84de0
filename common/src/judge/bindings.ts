import { grown, grownCapacity } from './columns.ts'
import type { CompiledStrategy, Condition } from './conditions.ts'
import { NONE, type ValueState } from './events.ts'
import { ChangeLogs, type FlappingRule } from './flapping.ts'
import { UNKNOWN } from './functions.ts'

/**
 * Strategy conditions bound to series, each binding an integer id: which condition of which
 * strategy on which series, the condition's latest verdict and the state of its event keys, in
 * columns indexed by the id, so that a binding is no object to the garbage collector and its
 * timestamps no boxed doubles. The ids of a series' bindings form a list linked through `next`;
 * the ids of released bindings are given out again.
 *
 * The columns are replaced as the store grows: read them through the store after add().
 */
export class Bindings {
  strategy: (CompiledStrategy | undefined)[] = []
  /** −1: the strategy's own condition (its events); i ≥ 0: the strategy's also[i]. */
  role = new Int32Array(0)
  /** Slot of the series bound. */
  series = new Int32Array(0)
  /** The next binding of the same series; −1 after its last. */
  next = new Int32Array(0)
  /** The condition's latest verdict: UNKNOWN, FALSE or TRUE, with its value and oldest point. */
  truth = new Int8Array(0)
  value = new Float64Array(0)
  oldest = new Float64Array(0)
  /** The value event key's state, as ValueState names it (state() is a ValueState view of it). */
  status = new Uint8Array(0)
  step = new Int32Array(0)
  lastEventTs = new Float64Array(0)
  holdSince = new Float64Array(0)
  flapping = new Uint8Array(0)
  /** The no-data event key's state: NONE, OK or PROBLEM, and when its last event was. */
  nodataStatus = new Uint8Array(0)
  nodataLastEventTs = new Float64Array(0)
  /** Status changes of the value event keys; null when flapping detection is off. */
  readonly changes: ChangeLogs | null
  /** Ids given out so far, released ones included. */
  #ids = 0
  readonly #released: number[] = []
  readonly #state = new BindingState(this)

  constructor(flapping: FlappingRule | null) {
    this.changes = flapping === null ? null : new ChangeLogs(flapping)
  }

  /** A new binding, with no verdict and no event state; returns its id. */
  add(strategy: CompiledStrategy, role: number, series: number): number {
    const id = this.#released.pop() ?? this.#newId()
    this.strategy[id] = strategy
    this.role[id] = role
    this.series[id] = series
    this.next[id] = -1
    this.truth[id] = UNKNOWN
    this.value[id] = Number.NaN
    this.oldest[id] = Number.NaN
    this.status[id] = NONE
    this.step[id] = 0
    this.lastEventTs[id] = Number.NEGATIVE_INFINITY
    this.holdSince[id] = Number.NaN
    this.flapping[id] = 0
    this.nodataStatus[id] = NONE
    this.nodataLastEventTs[id] = Number.NEGATIVE_INFINITY
    return id
  }

  release(id: number): void {
    this.strategy[id] = undefined
    this.changes?.clear(id)
    this.#released.push(id)
  }

  condition(id: number): Condition {
    const role = this.role[id]!
    const strategy = this.strategy[id]!
    return role < 0 ? strategy.primary : strategy.also[role]!
  }

  hasValueState(id: number): boolean {
    return (
      this.status[id] !== NONE || !Number.isNaN(this.holdSince[id]!) || (this.changes?.count(id) ?? 0) > 0
    )
  }

  /** The value event state of a binding for judgeVerdict: one view, moved by each call. */
  state(id: number): ValueState {
    return this.#state.at(id)
  }

  #newId(): number {
    if (this.#ids === this.role.length) this.#grow(grownCapacity(this.#ids, this.#ids + 1))
    return this.#ids++
  }

  #grow(capacity: number): void {
    this.role = grown(this.role, capacity)
    this.series = grown(this.series, capacity)
    this.next = grown(this.next, capacity)
    this.truth = grown(this.truth, capacity)
    this.value = grown(this.value, capacity)
    this.oldest = grown(this.oldest, capacity)
    this.status = grown(this.status, capacity)
    this.step = grown(this.step, capacity)
    this.lastEventTs = grown(this.lastEventTs, capacity)
    this.holdSince = grown(this.holdSince, capacity)
    this.flapping = grown(this.flapping, capacity)
    this.nodataStatus = grown(this.nodataStatus, capacity)
    this.nodataLastEventTs = grown(this.nodataLastEventTs, capacity)
    this.changes?.grow(capacity)
  }
}

/** The value event state of the binding `at` selected, read and written in the store's columns. */
class BindingState implements ValueState {
  readonly #bindings: Bindings
  #id = 0

  constructor(bindings: Bindings) {
    this.#bindings = bindings
  }

  at(id: number): this {
    this.#id = id
    return this
  }

  get status(): number {
    return this.#bindings.status[this.#id]!
  }

  set status(v: number) {
    this.#bindings.status[this.#id] = v
  }

  get step(): number {
    return this.#bindings.step[this.#id]!
  }

  set step(v: number) {
    this.#bindings.step[this.#id] = v
  }

  get lastEventTs(): number {
    return this.#bindings.lastEventTs[this.#id]!
  }

  set lastEventTs(v: number) {
    this.#bindings.lastEventTs[this.#id] = v
  }

  get holdSince(): number {
    return this.#bindings.holdSince[this.#id]!
  }

  set holdSince(v: number) {
    this.#bindings.holdSince[this.#id] = v
  }

  get flapping(): boolean {
    return this.#bindings.flapping[this.#id] === 1
  }

  set flapping(v: boolean) {
    this.#bindings.flapping[this.#id] = v ? 1 : 0
  }

  recordChange(ts: number): void {
    this.#bindings.changes?.record(this.#id, ts)
  }

  changesWithin(ts: number): number {
    return this.#bindings.changes?.within(this.#id, ts) ?? 0
  }
}
