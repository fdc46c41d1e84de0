/** One series: its times (sorted) and values; null or NaN where a value is missing (a gap). */
export interface SeriesData {
  timestamps: ArrayLike<number>
  values: ArrayLike<number | null>
  /**
   * Seconds between consecutive points when none is missing. A longer silence is drawn as a gap
   * rather than a line across it. Without it, only the nulls of `values` break the line.
   */
  interval?: number
}

type Xs = ArrayLike<number>
type Column = ArrayLike<number | null | undefined>

/**
 * uPlot's data: the shared x axis first, then one y column per series. In a column, `null` (or
 * NaN) is a gap (the line breaks) and `undefined` a time another series has and this one does
 * not (the line joins its neighbours across it), as uPlot and m4Line read them.
 */
export type Aligned = [Xs, ...Column[]]

/**
 * Silences up to twice the interval are joined: bucket starts of a series jitter by one bucket
 * when its points arrive a little late or early, and that must not break the line.
 */
const GAP_FACTOR = 2

function sameTimestamps(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Whether every time of `part` is in `all` (both sorted). */
function isSubset(part: ArrayLike<number>, all: ArrayLike<number>): boolean {
  let j = 0
  for (let i = 0; i < part.length; i++) {
    const t = part[i]!
    while (j < all.length && all[j]! < t) j++
    if (j === all.length || all[j] !== t) return false
  }
  return true
}

/** The sorted union of two sorted lists, duplicates once. */
function mergeSorted(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length + b.length)
  let i = 0
  let j = 0
  let n = 0
  while (i < a.length || j < b.length) {
    const x = j === b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!
    if (n === 0 || out[n - 1] !== x) out[n++] = x
  }
  return out.subarray(0, n)
}

const gapLimit = (s: SeriesData) => (s.interval ? s.interval * GAP_FACTOR : Number.POSITIVE_INFINITY)

/** One time inside each silence of the series longer than its gap limit, where its line breaks. */
function gapTimes(s: SeriesData, into: number[]): void {
  const limit = gapLimit(s)
  if (!Number.isFinite(limit)) return
  const ts = s.timestamps
  for (let i = 1; i < ts.length; i++) if (ts[i]! - ts[i - 1]! > limit) into.push(ts[i - 1]! + s.interval!)
}

/** The series' values laid on `xs`: undefined where it has no point, null after each silence. */
function column(s: SeriesData, xs: Xs): Column {
  const out = new Array<number | null | undefined>(xs.length)
  const limit = gapLimit(s)
  const ts = s.timestamps
  let j = 0
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i]!
    while (xs[j]! < t) j++
    out[j] = s.values[i] ?? null
    // xs holds a time strictly inside each long silence (gapTimes put it there).
    if (i + 1 < ts.length && ts[i + 1]! - t > limit) out[j + 1] = null
  }
  return out
}

/**
 * Joins series on one x axis. Series of one query usually share their buckets: that costs one
 * pass per series and no copy. Otherwise the union of the sorted timestamps is merged in (a
 * series whose times are all there already, like a counter missing a bucket at a reset, adds
 * nothing) and each series is walked once against it; no object is made per point.
 */
export function align(series: readonly SeriesData[]): Aligned {
  const first = series[0]
  if (!first) return [[]]
  let xs: Xs = first.timestamps
  let shared = true
  const gaps: number[] = []
  gapTimes(first, gaps)
  for (const s of series) {
    if (s === first) continue
    if (sameTimestamps(s.timestamps, first.timestamps)) {
      // Same times, same interval: the same silences, already found.
      if (gapLimit(s) !== gapLimit(first)) gapTimes(s, gaps)
      continue
    }
    shared = false
    gapTimes(s, gaps)
    if (!isSubset(s.timestamps, xs)) xs = mergeSorted(xs, s.timestamps)
  }
  if (shared && gaps.length === 0) return [xs, ...series.map((s) => s.values)]
  if (gaps.length > 0)
    xs = mergeSorted(
      xs,
      gaps.sort((a, b) => a - b),
    )
  return [xs, ...series.map((s) => column(s, xs))]
}
