import type { CounterType } from './points.ts'

export interface TimeValues {
  /** Oldest first. */
  timestamps: number[]
  values: number[]
}

/**
 * Per-second rates between consecutive points: (v[i] - v[i-1]) / (t[i] - t[i-1]), stamped at
 * t[i]. A COUNTER that goes down was reset or wrapped, so that interval has no rate; a DERIVE
 * may go down. GAUGE series are returned as they are.
 */
export function asRates(series: TimeValues, type: CounterType): TimeValues {
  if (type === 'GAUGE') return series
  const { timestamps: t, values: v } = series
  const out: TimeValues = { timestamps: [], values: [] }
  for (let i = 1; i < t.length; i++) {
    const dt = t[i]! - t[i - 1]!
    const dv = v[i]! - v[i - 1]!
    if (dt <= 0 || (type === 'COUNTER' && dv < 0)) continue
    out.timestamps.push(t[i]!)
    out.values.push(dv / dt)
  }
  return out
}
