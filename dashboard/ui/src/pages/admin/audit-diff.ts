/** One line of a change: a field, its value before and after (undefined where it was absent). */
export interface Change {
  key: string
  before?: string
  after?: string
}

const MAX = 120

/** A value as one short line of JSON. */
export function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > MAX ? `${text.slice(0, MAX - 1)}…` : text
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * What an audit record changed, field by field: only the fields that differ, in key order. A
 * creation lists every field as added, a deletion as removed; values that are not objects are
 * one change under the key ''.
 */
export function changes(before: unknown, after: unknown): Change[] {
  const b = before ?? undefined
  const a = after ?? undefined
  if (!isRecord(b) && !isRecord(a)) {
    return JSON.stringify(b) === JSON.stringify(a) ? [] : [line('', b, a)]
  }
  const bo = isRecord(b) ? b : {}
  const ao = isRecord(a) ? a : {}
  return [...new Set([...Object.keys(bo), ...Object.keys(ao)])]
    .sort()
    .filter((k) => JSON.stringify(bo[k]) !== JSON.stringify(ao[k]))
    .map((k) => line(k, bo[k], ao[k]))
}

function line(key: string, before: unknown, after: unknown): Change {
  return {
    key,
    ...(before !== undefined && { before: brief(before) }),
    ...(after !== undefined && { after: brief(after) }),
  }
}
