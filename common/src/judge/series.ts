import type { CounterType, SeriesDef } from '../points.ts'
import { grown, grownCapacity } from './columns.ts'
import type { JudgedStrategy } from './conditions.ts'
import { finish, HashSlots, hashInt, hashText } from './hash-slots.ts'
import { History } from './history.ts'
import { Names } from './names.ts'

/**
 * A series as the evaluator holds it; get one from Evaluator.series() and keep it (each call
 * makes another view of the same series).
 */
export interface SeriesHandle {
  readonly endpoint: string
  readonly metric: string
  readonly tags: string
  readonly counterType: CounterType
  readonly step: number
}

/**
 * The series an evaluator holds, each a slot — its slot in `history` too: identity in columns,
 * endpoint and metric interned, found through a hash index instead of a Map keyed by a string
 * per series; and what the evaluator bound to it. No object per series: a handle is a view
 * made for the caller.
 */
export class SeriesTable {
  readonly history = new History()
  /** The strategy list a series' bindings were made from: a new list (object) binds again. */
  readonly strategies: (readonly JudgedStrategy[] | null)[] = []
  /** The first of a series' bindings, the others linked through Bindings.next; −1: none. */
  firstBinding = new Int32Array(0)
  /** 1: some binding is the own condition of a strategy with `nodata`. */
  nodata = new Uint8Array(0)
  readonly #endpoints = new Names()
  readonly #metrics = new Names()
  #endpoint = new Int32Array(0)
  #metric = new Int32Array(0)
  readonly #tags: string[] = []
  readonly #index = new HashSlots()

  get count(): number {
    return this.#tags.length
  }

  /** The slot of a series; −1 when it is not held. */
  find(endpoint: string, metric: string, tags: string): number {
    const e = this.#endpoints.find(endpoint)
    const m = this.#metrics.find(metric)
    if (e < 0 || m < 0) return -1
    return this.#index.find(
      seriesHash(e, m, tags),
      (slot) => this.#endpoint[slot] === e && this.#metric[slot] === m && this.#tags[slot] === tags,
    )
  }

  /** Holds a series not held yet, without points or bindings; returns its slot. */
  add(def: SeriesDef): number {
    const slot = this.history.add(def.counterType, def.step)
    if (slot === this.#endpoint.length) this.#grow(grownCapacity(slot, slot + 1))
    const e = this.#endpoints.intern(def.endpoint)
    const m = this.#metrics.intern(def.metric)
    this.#endpoint[slot] = e
    this.#metric[slot] = m
    this.#tags.push(def.tags)
    this.strategies.push(null)
    this.firstBinding[slot] = -1
    this.nodata[slot] = 0
    this.#index.insert(seriesHash(e, m, def.tags), slot)
    return slot
  }

  endpoint(slot: number): string {
    return this.#endpoints.name(this.#endpoint[slot]!)
  }

  metric(slot: number): string {
    return this.#metrics.name(this.#metric[slot]!)
  }

  tags(slot: number): string {
    return this.#tags[slot]!
  }

  handle(slot: number): SeriesHandle {
    return new SeriesView(this, slot)
  }

  #grow(capacity: number): void {
    this.#endpoint = grown(this.#endpoint, capacity)
    this.#metric = grown(this.#metric, capacity)
    this.firstBinding = grown(this.firstBinding, capacity)
    this.nodata = grown(this.nodata, capacity)
  }
}

/** The slot of a series whose handle SeriesTable.handle made. */
export function slotOf(handle: SeriesHandle): number {
  return (handle as SeriesView).slot
}

function seriesHash(endpoint: number, metric: number, tags: string): number {
  return finish(hashText(tags, hashInt(metric, hashInt(endpoint))))
}

/** A series' handle: what it reads, it reads in the table, so it stays true if the series changes. */
class SeriesView implements SeriesHandle {
  constructor(
    readonly table: SeriesTable,
    readonly slot: number,
  ) {}

  get endpoint(): string {
    return this.table.endpoint(this.slot)
  }

  get metric(): string {
    return this.table.metric(this.slot)
  }

  get tags(): string {
    return this.table.tags(this.slot)
  }

  get counterType(): CounterType {
    return this.table.history.counterTypeOf(this.slot)
  }

  get step(): number {
    return this.table.history.stepOf(this.slot)
  }
}
