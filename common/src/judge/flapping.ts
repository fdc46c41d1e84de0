import { grown } from './columns.ts'
import { Slab } from './slab.ts'

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

/**
 * The timestamps of the latest K + 1 status changes of value event keys, each key by an integer
 * id: one ring per key, made at its first change, all in one slab.
 */
export class ChangeLogs {
  readonly #rings = new Slab()
  /** Offset of a key's ring in the slab; −1 before its first change. */
  #base = new Int32Array(0)
  /** Ring index of the latest change. */
  #head = new Int32Array(0)
  #count = new Int32Array(0)

  constructor(readonly rule: FlappingRule) {}

  /** Makes room for ids below `capacity`; the new ones have no changes. */
  grow(capacity: number): void {
    const from = this.#base.length
    this.#base = grown(this.#base, capacity)
    this.#base.fill(-1, from)
    this.#head = grown(this.#head, capacity)
    this.#count = grown(this.#count, capacity)
  }

  record(id: number, ts: number): void {
    const cap = this.rule.changes + 1
    if (this.#base[id]! < 0) {
      this.#base[id] = this.#rings.allocate(cap)
      this.#head[id] = cap - 1
    }
    const head = this.#head[id]! + 1 === cap ? 0 : this.#head[id]! + 1
    this.#head[id] = head
    this.#rings.data[this.#base[id]! + head] = ts
    if (this.#count[id]! < cap) this.#count[id]!++
  }

  count(id: number): number {
    return this.#count[id]!
  }

  /** How many recorded changes lie in (ts − W, ts]; at most K + 1. */
  within(id: number, ts: number): number {
    const count = this.#count[id]!
    const since = ts - this.rule.windowSeconds
    let n = 0
    while (n < count && this.#at(id, n) > since) n++
    return n
  }

  /** Timestamps of the changes, oldest first: for durable state. */
  list(id: number): number[] {
    const out: number[] = []
    for (let i = this.#count[id]! - 1; i >= 0; i--) out.push(this.#at(id, i))
    return out
  }

  /** Forgets a key's changes, giving its ring back. */
  clear(id: number): void {
    if (this.#base[id]! >= 0) this.#rings.release(this.#base[id]!, this.rule.changes + 1)
    this.#base[id] = -1
    this.#count[id] = 0
  }

  /** The i-th latest change (0 = latest); i < count. */
  #at(id: number, i: number): number {
    const s = this.#head[id]! - i
    return this.#rings.data[this.#base[id]! + (s < 0 ? s + this.rule.changes + 1 : s)]!
  }
}
