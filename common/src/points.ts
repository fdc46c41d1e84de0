import * as z from './zod.ts'

/** The value types of a point; COUNTER and DERIVE are stored raw and turned into rates when read. */
export const COUNTER_TYPES = ['GAUGE', 'COUNTER', 'DERIVE'] as const
export const CounterTypeSchema = z.enum(COUNTER_TYPES)
export type CounterType = z.infer<typeof CounterTypeSchema>

/** Open-Falcon's limit on metric + tags text. */
export const MAX_SERIES_TEXT = 510
/** The longest endpoint the API can be asked about (host names are at most 255 too). */
export const MAX_ENDPOINT = 255
/** The longest step: a day. Longer ones would align every point to a handful of instants. */
export const MAX_STEP = 86_400
/** How far ahead of the receiver's clock a point may be: clock skew, not the future. */
export const MAX_FUTURE_SECONDS = 600

/** One point as Open-Falcon's agents and scripts push it (`POST /v1/push`). */
export const FalconPointSchema = z.object({
  endpoint: z.string(),
  metric: z.string(),
  timestamp: z.number(),
  step: z.number(),
  value: z.union([z.number(), z.string()]),
  counterType: z.string(),
  tags: z._default(z.string(), ''),
})
export type FalconPoint = z.input<typeof FalconPointSchema>

export interface SeriesIdentity {
  endpoint: string
  metric: string
  /** Canonical tag text: `k=v` pairs sorted by key, joined by commas; '' when untagged. */
  tags: string
}

export interface SeriesDef extends SeriesIdentity {
  counterType: CounterType
  step: number
}

export type Tags = Record<string, string>

/**
 * Parses Open-Falcon's `k=v,k2=v2` tag text into a canonical form.
 * Returns null when a pair has no `=` or an empty key, which Open-Falcon rejects too.
 */
export function canonicalTags(text: string): string | null {
  if (text.trim() === '') return ''
  const pairs: [string, string][] = []
  for (const part of text.split(',')) {
    if (part.trim() === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) return null
    const key = part.slice(0, eq).trim()
    if (key === '') return null
    pairs.push([key, part.slice(eq + 1).trim()])
  }
  return formatTags(pairs)
}

/** Canonical tag text for a tag map: the one series identity every service agrees on. */
export function tagsFromRecord(tags: Tags): string {
  return formatTags(Object.entries(tags))
}

function formatTags(pairs: [string, string][]): string {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
  return pairs.map(([k, v]) => `${k}=${v}`).join(',')
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its purpose
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/

/** Why a series cannot be stored, naming the field; null when it is acceptable. */
export function seriesProblem(s: {
  endpoint: string
  metric: string
  tags: string
  counterType: string
  step: number
}): { field: string; error: string } | null {
  if (s.endpoint.trim() === '') return { field: 'endpoint', error: 'endpoint is empty' }
  if (s.endpoint.length > MAX_ENDPOINT)
    return { field: 'endpoint', error: `endpoint is longer than ${MAX_ENDPOINT} characters` }
  if (s.metric.trim() === '') return { field: 'metric', error: 'metric is empty' }
  for (const field of ['endpoint', 'metric', 'tags'] as const)
    if (CONTROL_CHARS.test(s[field])) return { field, error: `${field} contains control characters` }
  if (!(COUNTER_TYPES as readonly string[]).includes(s.counterType))
    return { field: 'counterType', error: 'counterType must be GAUGE, COUNTER or DERIVE' }
  if (!Number.isInteger(s.step) || s.step <= 0 || s.step > MAX_STEP)
    return { field: 'step', error: `step must be a whole number of seconds from 1 to ${MAX_STEP}` }
  if (s.metric.length + s.tags.length > MAX_SERIES_TEXT)
    return { field: 'metric', error: `metric + tags exceed ${MAX_SERIES_TEXT} characters` }
  return null
}

/**
 * The stored timestamp of a point: aligned down to its step. A missing (<= 0) timestamp means
 * "now", as in Open-Falcon. Returns -1 when the timestamp cannot be stored: not finite, more
 * than MAX_FUTURE_SECONDS ahead of `now`, or before `oldest` (what storage would not keep).
 */
export function alignTimestamp(ts: number, step: number, now: number, oldest = 0): number {
  if (!Number.isFinite(ts)) return -1
  const t = ts <= 0 ? now : Math.floor(ts)
  if (t > now + MAX_FUTURE_SECONDS) return -1
  const aligned = t - (t % step)
  return aligned < oldest ? -1 : aligned
}

/** Days of the longest retention (hourly rollups) by default: older points would not be kept. */
export const DEFAULT_MAX_POINT_AGE_DAYS = 730

export const TIMESTAMP_RULE = `timestamp must be unix seconds at most ${MAX_FUTURE_SECONDS} s ahead of now (0 or less: now) and not older than storage keeps points`

export function toFiniteNumber(value: number | string): number | null {
  const n = typeof value === 'number' ? value : value.trim() === '' ? Number.NaN : Number(value)
  return Number.isFinite(n) ? n : null
}
