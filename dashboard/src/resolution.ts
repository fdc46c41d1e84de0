import { RESOLUTIONS, type Resolution } from '@peregrine/common'

export interface Retention {
  rawDays: number
  rollup1mDays: number
}

/** Most points a history answer aims at when the caller names no step: more than a chart shows. */
export const TARGET_POINTS = 2000

/**
 * Which table answers a history query, and at what interval. A named step decides the table
 * (under a minute: raw; under an hour: 1-minute rollup; else hourly); without one, the finest
 * table giving at most TARGET_POINTS per series. Either way only tables that still hold `from`
 * (retention) are used.
 */
export function chooseResolution(
  q: { from: number; to: number; step?: number | undefined },
  nativeStep: number,
  retention: Retention,
  now: number,
): { resolution: Resolution; interval: number } {
  const keptDays: Record<Resolution, number> = {
    raw: retention.rawDays,
    '1m': retention.rollup1mDays,
    '1h': Number.POSITIVE_INFINITY,
  }
  const base = (r: Resolution) => (r === 'raw' ? nativeStep : r === '1m' ? 60 : 3600)
  const available = RESOLUTIONS.filter((r) => q.from >= now - keptDays[r] * 86_400)
  const span = q.to - q.from
  let resolution: Resolution
  if (q.step !== undefined) {
    const wanted: Resolution = q.step < 60 ? 'raw' : q.step < 3600 ? '1m' : '1h'
    resolution = available.find((r) => RESOLUTIONS.indexOf(r) >= RESOLUTIONS.indexOf(wanted)) ?? '1h'
  } else {
    resolution = available.find((r) => span / base(r) <= TARGET_POINTS) ?? '1h'
  }
  const wantedInterval = q.step ?? Math.ceil(span / TARGET_POINTS)
  const unit = base(resolution)
  return { resolution, interval: Math.ceil(Math.max(wantedInterval, unit) / unit) * unit }
}
