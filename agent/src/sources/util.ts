import { readFile } from 'node:fs/promises'
import type { Tags } from '@peregrine/common/schema'

/** Reads a text file; resolves null when it is missing or unreadable, so a source emits what it can. */
export type ReadText = (path: string) => Promise<string | null>

export const readText: ReadText = async (path) => {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return null
  }
}

/**
 * A reader shared by the sources of one agent so that a file two families need (/proc/stat for CPU
 * and processes, /proc/loadavg for load and processes) is read once per cycle: a read made within
 * `maxAgeMs` of the previous one, or while it is still under way, gets the same text. The agent
 * collects its sources one after another in a few milliseconds, far less than any step.
 */
export class SharedReads {
  private readonly cache = new Map<string, { at: number; text: Promise<string | null> }>()

  constructor(
    private readonly maxAgeMs = 500,
    private readonly now: () => number = () => performance.now(),
  ) {}

  readonly read: ReadText = (path) => {
    const t = this.now()
    const hit = this.cache.get(path)
    if (hit !== undefined && t - hit.at < this.maxAgeMs) return hit.text
    const text = readText(path)
    this.cache.set(path, { at: t, text })
    // Paths come and go with interfaces (veth…): drop stale entries before the map grows.
    if (this.cache.size > 256)
      for (const [p, e] of this.cache) if (t - e.at >= this.maxAgeMs) this.cache.delete(p)
    return text
  }
}

/** Percentages keep two decimals: finer precision is noise and costs storage. */
export function round2(x: number): number {
  return Math.round(x * 100) / 100
}

/** part/whole as a rounded percentage; undefined when whole is not positive or the result not finite. */
export function percent(part: number, whole: number): number | undefined {
  if (!(whole > 0)) return undefined
  const p = (part * 100) / whole
  return Number.isFinite(p) ? round2(p) : undefined
}

/** Tag maps are reused between cycles; freezing them keeps a consumer from changing a shared one. */
export function frozenTags(tags: Tags): Tags {
  return Object.freeze(tags)
}

/** Index just past the end of the line starting at `start` (the '\n' or the text's end). */
export function lineEnd(text: string, start: number): number {
  const nl = text.indexOf('\n', start)
  return nl < 0 ? text.length : nl
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9
}

/** Index of the first non-blank character at or after i (or end). */
export function skipBlanks(text: string, i: number, end: number): number {
  while (i < end && isBlank(text.charCodeAt(i))) i++
  return i
}

/** Index of the first blank character at or after i (or end). */
export function skipToken(text: string, i: number, end: number): number {
  while (i < end && !isBlank(text.charCodeAt(i))) i++
  return i
}

/**
 * Splits text[start, end) at blanks into `out`, reusing it; returns the number of fields
 * (entries of `out` past that count are stale and must be ignored).
 */
export function splitFields(text: string, start: number, end: number, out: string[]): number {
  let n = 0
  let i = skipBlanks(text, start, end)
  while (i < end) {
    const s = i
    i = skipToken(text, i, end)
    out[n++] = text.slice(s, i)
    i = skipBlanks(text, i, end)
  }
  return n
}

/**
 * Parses the blank-separated unsigned decimal integers of text[start, end) into `out` without
 * allocating strings; a field that is not all digits becomes NaN. Returns the number of fields read
 * (at most out.length).
 */
export function parseUints(text: string, start: number, end: number, out: Float64Array): number {
  let n = 0
  let i = skipBlanks(text, start, end)
  while (i < end && n < out.length) {
    let v = 0
    let ok = true
    while (i < end) {
      const c = text.charCodeAt(i)
      if (isBlank(c)) break
      const d = c - 48
      if (d >= 0 && d <= 9) v = v * 10 + d
      else ok = false
      i++
    }
    out[n++] = ok ? v : Number.NaN
    i = skipBlanks(text, i, end)
  }
  return n
}

/** True when the first `count` entries of `values` are all finite. */
export function allFinite(values: Float64Array, count: number): boolean {
  for (let i = 0; i < count; i++) if (!Number.isFinite(values[i]!)) return false
  return true
}

/**
 * Calls `onPair(name, value)` for the `prefix:` header/value line pair of /proc/net/snmp and
 * /proc/net/netstat (a line of names followed by a line of numbers with the same prefix).
 * Pairs whose value is not an integer are skipped.
 */
export function forEachProcNetPair(
  text: string,
  prefix: string,
  onPair: (name: string, value: number) => void,
): void {
  const tag = `${prefix}:`
  let start = 0
  while (start < text.length) {
    const end = lineEnd(text, start)
    if (text.startsWith(tag, start)) {
      const vStart = end + 1
      if (vStart >= text.length || !text.startsWith(tag, vStart)) return
      const vEnd = lineEnd(text, vStart)
      let i = skipBlanks(text, start + tag.length, end)
      let j = skipBlanks(text, vStart + tag.length, vEnd)
      while (i < end && j < vEnd) {
        const ni = skipToken(text, i, end)
        const nj = skipToken(text, j, vEnd)
        const value = parseInteger(text, j, nj)
        if (value !== undefined) onPair(text.slice(i, ni), value)
        i = skipBlanks(text, ni, end)
        j = skipBlanks(text, nj, vEnd)
      }
      return
    }
    start = end + 1
  }
}

/** A decimal integer (optionally negative) in text[start, end); undefined when it is not one. */
export function parseInteger(text: string, start: number, end: number): number | undefined {
  if (start >= end) return undefined
  let i = start
  let sign = 1
  if (text.charCodeAt(i) === 45) {
    sign = -1
    i++
    if (i >= end) return undefined
  }
  let v = 0
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - 48
    if (d < 0 || d > 9) return undefined
    v = v * 10 + d
  }
  return sign * v
}

/** The value of an ASCII hex digit (either case), or -1. */
export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}
