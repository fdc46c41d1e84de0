import { describe, expect, it } from 'vitest'
import { decimalDigits, mantissaOf } from '../src/clickhouse/decimal.ts'
import { coalesce, hoursOf, pieces } from '../src/clickhouse/rollups.ts'

/** A small deterministic PRNG, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const decodes = (v: number, digits: number) => mantissaOf(v, digits) / 10 ** digits === v

describe('decimalDigits', () => {
  it('finds the fewest digits of values written with a few decimals', () => {
    expect(decimalDigits(12.34, -1)).toBe(2)
    expect(decimalDigits(12.3, 2)).toBe(2) // the hint is kept when it is exact too
    expect(decimalDigits(12.3, -1)).toBe(1)
    expect(decimalDigits(0.07, -1)).toBe(2)
    expect(decimalDigits(42, -1)).toBe(0)
    expect(decimalDigits(-0.5, -1)).toBe(1)
  })

  it('gives up on floats no 15-digit decimal writes exactly, and on integers past 2^53', () => {
    for (const v of [0.1 + 0.2, 1 / 3, Math.SQRT2, 5e-324, 1e300, 2 ** 60])
      expect(decimalDigits(v, -1), `${v}`).toBe(-1)
  })

  it('decodes to the very same float whenever it answers, over a million values of every kind', () => {
    const r = rng(7)
    const kinds = [
      () => Math.round(r() * 1e6) / 100, // percentages and the like
      () => Math.round((r() - 0.5) * 1e12), // counters, signed integers
      () => (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20), // any float at all
      () => Math.round(r() * 1e9) / 10 ** Math.floor(r() * 16), // decimals of up to 15 digits
    ]
    let exact = 0
    for (let i = 0; i < 1_000_000; i++) {
      const v = kinds[i % kinds.length]!()
      const d = decimalDigits(v, i % 17 === 0 ? -1 : i % 16)
      if (d < 0) continue
      exact++
      if (!decodes(v, d)) throw new Error(`${v} at ${d} digits decodes to ${mantissaOf(v, d) / 10 ** d}`)
    }
    expect(exact).toBeGreaterThan(700_000)
  })
})

describe('minute ranges', () => {
  it('coalesce where they overlap or touch, and keep gaps', () => {
    expect(
      coalesce([
        [600, 660],
        [0, 60],
        [120, 120],
        [720, 720],
        [60, 60],
      ]),
    ).toEqual([
      [0, 120],
      [600, 720],
    ])
  })

  it('cut into pieces of a bounded number of minutes', () => {
    expect(pieces([0, 300], 2)).toEqual([
      [0, 60],
      [120, 180],
      [240, 300],
    ])
  })

  it('name the hours they fall in, merged', () => {
    expect(
      hoursOf([
        [3540, 3660],
        [7260, 7260],
        [36_000, 36_000],
      ]),
    ).toEqual([
      [0, 7200],
      [36_000, 36_000],
    ])
  })
})
