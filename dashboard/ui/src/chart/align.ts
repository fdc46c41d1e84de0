/** One series as the history API answers it: columns of bucket starts and values. */
export interface SeriesData {
  timestamps: readonly number[]
  values: readonly (number | null)[]
}

/** uPlot's data: the shared x axis first, then one y column per series, null where it has no point. */
export type Aligned = [Float64Array | number[], ...(number | null)[][]]

function sameTimestamps(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Joins series on one x axis. Series of one query usually share their buckets, which is checked
 * first and costs one pass; otherwise the union of the (sorted) timestamps is merged and each
 * series walked once against it, with no per-point object.
 */
export function align(series: readonly SeriesData[]): Aligned {
  const first = series[0]
  if (!first) return [[]]
  if (series.every((s) => sameTimestamps(s.timestamps, first.timestamps)))
    return [first.timestamps as number[], ...series.map((s) => s.values as (number | null)[])]
  const xs = union(series)
  const columns = series.map((s) => {
    const out: (number | null)[] = new Array(xs.length).fill(null)
    let j = 0
    for (let i = 0; i < s.timestamps.length; i++) {
      const t = s.timestamps[i]!
      while (xs[j]! < t) j++
      out[j] = s.values[i] ?? null
    }
    return out
  })
  return [xs, ...columns]
}

function union(series: readonly SeriesData[]): Float64Array {
  let total = 0
  for (const s of series) total += s.timestamps.length
  const all = new Float64Array(total)
  let n = 0
  for (const s of series) for (const t of s.timestamps) all[n++] = t
  all.sort()
  let k = 0
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[k - 1]) all[k++] = all[i]!
  return all.slice(0, k)
}
