import type uPlot from 'uplot'

/**
 * Where each pixel column of the plot starts in the x values: the series of a chart share their
 * x axis, so this is found once per draw, not once per series.
 */
interface Columns {
  xs: unknown
  xMin: number
  xMax: number
  left: number
  width: number
  /** Index of the first x value of each column, then one past the last value. */
  starts: Int32Array
  /** The pixel x of each column. */
  pixels: Float64Array
  count: number
}

const columnsOf = new WeakMap<uPlot, Columns>()

function columns(u: uPlot): Columns {
  const xs = u.data[0] as ArrayLike<number>
  const { min, max } = u.scales.x!
  const { left, width } = u.bbox
  const known = columnsOf.get(u)
  if (
    known &&
    known.xs === xs &&
    known.xMin === min &&
    known.xMax === max &&
    known.left === left &&
    known.width === width
  )
    return known
  const xMin = min!
  const kx = width / (max! - xMin)
  const starts = new Int32Array(xs.length + 1)
  const pixels = new Float64Array(xs.length)
  let count = 0
  let current = Number.NaN
  for (let i = 0; i < xs.length; i++) {
    const c = Math.round(left + (xs[i]! - xMin) * kx)
    if (c === current) continue
    current = c
    starts[count] = i
    pixels[count++] = c
  }
  starts[count] = xs.length
  const found = { xs, xMin, xMax: max!, left, width, starts, pixels, count }
  columnsOf.set(u, found)
  return found
}

/** The first column holding index `i` (binary search: columns are in x order). */
function columnOf(cols: Columns, i: number): number {
  let lo = 0
  let hi = cols.count - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (cols.starts[mid]! <= i) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * The line of a series as uPlot strokes it, built for many points: where several points share a
 * pixel column, only the first, lowest, highest and last of them are drawn (M4), which looks the
 * same as drawing them all. Per point, only its value is read and compared: 50 series × 8,640
 * points build in a few milliseconds.
 *
 * Values are read as uPlot means them: `null` (or NaN) breaks the line (a gap), `undefined` is a
 * time only other series have and is stepped over.
 */
export const m4Line: uPlot.Series.PathBuilder = (u, seriesIdx, idx0, idx1) => {
  const ys = u.data[seriesIdx] as ArrayLike<number | null | undefined>
  const y = u.scales[u.series[seriesIdx]!.scale ?? 'y']!
  const { top, height } = u.bbox
  const yMax = y.max!
  const ky = height / (yMax - y.min!)
  const stroke = new Path2D()
  const cols = columns(u)
  const { starts, pixels } = cols
  let penDown = false

  for (let k = columnOf(cols, idx0); k < cols.count && starts[k]! <= idx1; k++) {
    const px = pixels[k]!
    const end = Math.min(starts[k + 1]!, idx1 + 1)
    let seen = false
    let first = 0
    let low = 0
    let high = 0
    let last = 0
    for (let i = Math.max(starts[k]!, idx0); i < end; i++) {
      const v = ys[i]
      if (v === undefined) continue
      if (v === null || Number.isNaN(v)) {
        if (seen) draw(stroke, penDown, px, first, low, high, last, top, yMax, ky)
        seen = false
        penDown = false
      } else if (!seen) {
        seen = true
        first = last = low = high = v
      } else {
        last = v
        if (v < low) low = v
        else if (v > high) high = v
      }
    }
    if (seen) penDown = draw(stroke, penDown, px, first, low, high, last, top, yMax, ky)
  }
  return { stroke, fill: null, clip: null, band: null, flags: 0 }
}

/** One column's values as pixel rows: a line from the previous column, then its extent. */
function draw(
  stroke: Path2D,
  penDown: boolean,
  px: number,
  first: number,
  low: number,
  high: number,
  last: number,
  top: number,
  yMax: number,
  ky: number,
): true {
  const fy = top + (yMax - first) * ky
  if (penDown) stroke.lineTo(px, fy)
  else stroke.moveTo(px, fy)
  if (low !== high) {
    stroke.lineTo(px, top + (yMax - low) * ky)
    stroke.lineTo(px, top + (yMax - high) * ky)
  }
  if (last !== first || low !== high) stroke.lineTo(px, top + (yMax - last) * ky)
  return true
}
