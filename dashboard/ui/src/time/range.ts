/**
 * Time ranges as they appear in a URL: `now`, `now-6h`, or unix seconds. Relative ranges stay
 * relative in a shared link (the receiver sees their own last hour), absolute ones stay put.
 */
export interface RangeSpec {
  from: string
  to: string
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }
const RELATIVE = /^now(?:-(\d+)([smhdw]))?$/

export const DEFAULT_RANGE: RangeSpec = { from: 'now-1h', to: 'now' }

export const PRESETS: readonly { label: string; from: string }[] = [
  { label: 'Last 15 minutes', from: 'now-15m' },
  { label: 'Last hour', from: 'now-1h' },
  { label: 'Last 6 hours', from: 'now-6h' },
  { label: 'Last 24 hours', from: 'now-24h' },
  { label: 'Last 7 days', from: 'now-7d' },
  { label: 'Last 30 days', from: 'now-30d' },
]

export const REFRESH_CHOICES: readonly { label: string; seconds: number }[] = [
  { label: 'Off', seconds: 0 },
  { label: '10s', seconds: 10 },
  { label: '30s', seconds: 30 },
  { label: '1m', seconds: 60 },
  { label: '5m', seconds: 300 },
]

/** Unix seconds of one end of a range, or null when the text is neither relative nor a time. */
export function resolveTime(text: string, nowSeconds: number): number | null {
  const rel = RELATIVE.exec(text.trim())
  if (rel) return rel[1] ? nowSeconds - Number(rel[1]) * UNIT_SECONDS[rel[2]!]! : nowSeconds
  if (/^\d{1,10}$/.test(text.trim())) return Number(text)
  return null
}

/** Both ends in unix seconds; an invalid or inverted range falls back to the default. */
export function resolveRange(spec: RangeSpec, nowSeconds: number): { from: number; to: number } {
  const from = resolveTime(spec.from, nowSeconds)
  const to = resolveTime(spec.to, nowSeconds)
  if (from === null || to === null || from >= to) return { from: nowSeconds - 3600, to: nowSeconds }
  return { from, to }
}

export const isRelative = (spec: RangeSpec) => RELATIVE.test(spec.from) && RELATIVE.test(spec.to)

/** `2026-11-29 13:05` in the browser's zone, for inputs and labels. */
export function formatLocal(seconds: number): string {
  const d = new Date(seconds * 1000)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** The inverse of formatLocal (also what a datetime-local input gives), or null. */
export function parseLocal(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim())
  if (!m) return null
  const d = new Date(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0))
  return Number.isNaN(d.getTime()) ? null : Math.floor(d.getTime() / 1000)
}

/** `7200` as `2h`: the largest unit that divides it, for a relative range in a URL. */
function durationText(seconds: number): string {
  for (const [unit, size] of [...Object.entries(UNIT_SECONDS)].reverse())
    if (seconds % size === 0) return `${seconds / size}${unit}`
  return `${seconds}s`
}

/**
 * The range twice as wide. A range ending now stays one (`now-1h` becomes `now-2h`); another
 * widens around its middle, and never past now.
 */
export function zoomOut(spec: RangeSpec, from: number, to: number, nowSeconds: number): RangeSpec {
  const span = to - from
  if (spec.to === 'now') return { from: `now-${durationText(2 * span)}`, to: 'now' }
  const end = Math.min(nowSeconds, to + Math.ceil(span / 2))
  return { from: String(Math.max(0, end - 2 * span)), to: String(end) }
}

export function describeRange(spec: RangeSpec, nowSeconds: number): string {
  const preset = PRESETS.find((p) => p.from === spec.from && spec.to === 'now')
  if (preset) return preset.label
  const { from, to } = resolveRange(spec, nowSeconds)
  return `${formatLocal(from)} → ${formatLocal(to)}`
}
