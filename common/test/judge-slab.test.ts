import { describe, expect, it } from 'vitest'
import { Slab } from '../src/judge/slab.ts'

describe('slab of float blocks', () => {
  it('hands out blocks one after the other, growing and keeping what they hold', () => {
    const slab = new Slab()
    const offsets = Array.from({ length: 100 }, (_, i) => {
      const at = slab.allocate(6)
      slab.data.fill(i, at, at + 6)
      return at
    })
    expect(offsets).toEqual(Array.from({ length: 100 }, (_, i) => i * 6))
    expect(slab.data.length).toBeGreaterThanOrEqual(600)
    offsets.forEach((at, i) => {
      expect([...slab.data.subarray(at, at + 6)]).toEqual([i, i, i, i, i, i])
    })
  })
  it('grows by half again, or to fit a block longer than that', () => {
    const slab = new Slab()
    slab.allocate(64)
    slab.allocate(1)
    expect(slab.data.length).toBe(96)
    slab.allocate(1000)
    expect(slab.data.length).toBe(1065)
  })
  it('reuses a released block for the next block of the same length only', () => {
    const slab = new Slab()
    const a = slab.allocate(6)
    const b = slab.allocate(6)
    slab.release(a, 6)
    expect(slab.allocate(9)).toBe(12)
    expect(slab.allocate(6)).toBe(a)
    expect(slab.allocate(6)).toBe(21)
    slab.release(b, 6)
    slab.release(21, 6)
    expect([slab.allocate(6), slab.allocate(6)]).toEqual([21, b])
  })
})
