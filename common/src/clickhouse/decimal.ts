/**
 * Values as decimals for the samples table (samples.ts): mantissa × 10^-digits whenever an integer
 * mantissa gives back exactly the same Float64, else the float's own bits.
 */

/** The exponent stored when a value is kept as its float bits. */
export const FLOAT_BITS = -128
/** Fractional digits tried, 10^0 … 10^15: every power is an exact double. */
export const DIGITS = 16

const POWERS = Array.from({ length: DIGITS }, (_, k) => 10 ** k)
const floatScratch = new Float64Array(1)
const bitsScratch = new BigInt64Array(floatScratch.buffer)

/**
 * The number of fractional digits (0…15) that write `v` exactly as an integer mantissa
 * (Math.round(v × 10^digits), see mantissaOf), trying `hint` first (a series mostly keeps its
 * digits); or -1 when none does: then the float's bits are stored (floatBitsText).
 */
export function decimalDigits(v: number, hint: number): number {
  if (hint >= 0 && fits(v, hint)) return hint
  for (let k = 0; k < DIGITS; k++) if (k !== hint && fits(v, k)) return k
  return -1
}

function fits(v: number, k: number): boolean {
  const p = POWERS[k]!
  const m = Math.round(v * p)
  return Math.abs(m) <= Number.MAX_SAFE_INTEGER && m / p === v
}

/** The mantissa of `v` at `digits` fractional digits (decimalDigits said it is exact). */
export const mantissaOf = (v: number, digits: number): number => Math.round(v * POWERS[digits]!)

/** The 64 bits of a float as the signed integer text the samples table takes for FLOAT_BITS. */
export function floatBitsText(v: number): string {
  floatScratch[0] = v
  return bitsScratch[0]!.toString()
}
