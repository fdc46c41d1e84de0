import { grown, grownCapacity } from './columns.ts'

const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a over a string's UTF-16 code units, continuing from `hash`; finish() before use. */
export function hashText(text: string, hash = FNV_OFFSET): number {
  let h = hash
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME)
  return h
}

/** FNV-1a step over a whole 32-bit integer, continuing from `hash`; finish() before use. */
export function hashInt(n: number, hash = FNV_OFFSET): number {
  return Math.imul(hash ^ n, FNV_PRIME)
}

/** Murmur3's finalizer: spreads the hash over its low bits, which pick the bucket. */
export function finish(hash: number): number {
  let h = hash ^ (hash >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * A hash index of slots (0, 1, 2, … given by the caller), in typed arrays: what a Map keyed by a
 * string per slot would do, without the string and the Map entry (a million series would hold a
 * million of each). Open addressing with linear probing, at most 3/4 full; the caller hashes its
 * keys and tells a match. Slots are never taken out.
 */
export class HashSlots {
  /** Slot per bucket; −1: empty. */
  #buckets = new Int32Array(16).fill(-1)
  /** Hash per slot: to grow without hashing the keys again, and to compare keys only on a hash match. */
  #hashes = new Int32Array(0)
  #count = 0

  /** The slot with this hash whose key `matches`; −1 when none. */
  find(hash: number, matches: (slot: number) => boolean): number {
    const mask = this.#buckets.length - 1
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const slot = this.#buckets[i]!
      if (slot < 0) return -1
      if (this.#hashes[slot] === hash && matches(slot)) return slot
    }
  }

  /** Indexes a slot whose key is not indexed yet. */
  insert(hash: number, slot: number): void {
    if (slot >= this.#hashes.length)
      this.#hashes = grown(this.#hashes, grownCapacity(this.#hashes.length, slot + 1))
    this.#hashes[slot] = hash
    if (4 * (this.#count + 1) > 3 * this.#buckets.length) this.#rehash(2 * this.#buckets.length)
    this.#place(slot)
    this.#count++
  }

  #place(slot: number): void {
    const mask = this.#buckets.length - 1
    let i = this.#hashes[slot]! & mask
    while (this.#buckets[i]! >= 0) i = (i + 1) & mask
    this.#buckets[i] = slot
  }

  #rehash(length: number): void {
    const old = this.#buckets
    this.#buckets = new Int32Array(length).fill(-1)
    for (const slot of old) if (slot >= 0) this.#place(slot)
  }
}
