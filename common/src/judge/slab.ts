import { grownCapacity } from './columns.ts'

/**
 * Many small float blocks (rings of series) in one growable Float64Array, so that a million
 * series are one array to the garbage collector instead of three objects each (typed array,
 * ArrayBuffer, backing store). A released block is reused by the next block of the same length:
 * rings come in a few lengths (the windows of the strategies), so an exact-length free list
 * nearly always finds its next taker.
 *
 * `data` is replaced when the slab grows: read it again after allocate().
 */
export class Slab {
  data = new Float64Array(0)
  /** Floats handed out from the start of `data`, released blocks included. */
  #used = 0
  /** Block length → offsets of released blocks of that length. */
  readonly #free = new Map<number, number[]>()

  /** The offset of a block of `length` floats (length ≥ 1); its contents are undefined. */
  allocate(length: number): number {
    const reused = this.#free.get(length)?.pop()
    if (reused !== undefined) return reused
    if (this.#used + length > this.data.length) this.#grow(this.#used + length)
    const offset = this.#used
    this.#used += length
    return offset
  }

  release(offset: number, length: number): void {
    let offsets = this.#free.get(length)
    if (offsets === undefined) {
      offsets = []
      this.#free.set(length, offsets)
    }
    offsets.push(offset)
  }

  #grow(needed: number): void {
    const data = new Float64Array(grownCapacity(this.data.length, needed))
    data.set(this.data.subarray(0, this.#used))
    this.data = data
  }
}
