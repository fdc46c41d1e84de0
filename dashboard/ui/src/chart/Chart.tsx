import { useEffect, useMemo, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { align, type SeriesData } from './align.ts'
import { formatValue } from './format.ts'
import { accessibleLegend } from './legend.ts'
import { seriesColor, themeColor } from './palette.ts'
import { m4Line } from './paths.ts'
import { useTheme } from './use-theme.ts'

export interface ChartSeries extends SeriesData {
  label: string
}

/** A moment to mark on the chart, e.g. an event a strategy raised. */
export interface ChartMarker {
  timestamp: number
  color: string
  label: string
}

export interface ChartProps {
  title?: string
  series: readonly ChartSeries[]
  from: number
  to: number
  height?: number
  unit?: string
  markers?: readonly ChartMarker[]
  /** Called with the range selected by dragging across the chart. */
  onZoom?: (from: number, to: number) => void
  /**
   * Called after new data is on the canvas with the milliseconds it took: aligning the series,
   * handing them to uPlot and its draw (the browser test budgets it). Not called for redraws of
   * the same data (resize, markers, a legend toggle).
   */
  onDrawn?: (ms: number) => void
}

/** A uPlot plugin that draws vertical lines at the markers. */
function markersPlugin(current: () => readonly ChartMarker[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const markers = current()
        const { ctx, bbox } = u
        ctx.save()
        ctx.lineWidth = 2 * devicePixelRatio
        for (const m of markers) {
          const x = u.valToPos(m.timestamp, 'x', true)
          if (x < bbox.left || x > bbox.left + bbox.width) continue
          ctx.strokeStyle = m.color
          ctx.beginPath()
          ctx.moveTo(x, bbox.top)
          ctx.lineTo(x, bbox.top + bbox.height)
          ctx.stroke()
        }
        ctx.restore()
      },
    },
  }
}

/** What the uPlot hooks read at the time they run, not at the time the chart was built. */
interface Live {
  props: () => ChartProps
  hidden: Set<string>
  /** Set when new data is handed over; the next draw reports the time since and clears it. */
  pending: { started: number; alignMs: number } | null
}

function options(props: ChartProps, width: number, live: Live): uPlot.Options {
  const axis = themeColor('--fg-muted', '#666')
  const grid = themeColor('--grid', '#e5e5e5')
  const axes: uPlot.Axis[] = [
    { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
    {
      stroke: axis,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid },
      size: 60,
      values: (_u, vals) => vals.map((v) => formatValue(v)),
    },
  ]
  return {
    width,
    height: props.height ?? 260,
    axes,
    scales: { x: { time: true } },
    cursor: { drag: { x: true, y: false, setScale: false } },
    legend: { live: true },
    plugins: [markersPlugin(() => live.props().markers ?? []), accessibleLegend()],
    series: [
      {},
      ...props.series.map((s, i) => ({
        label: s.label,
        stroke: seriesColor(i),
        // 1 px: on a standard display a hairline, which the canvas draws several times faster than
        // a wider line (it matters with thousands of points per series).
        width: 1,
        paths: m4Line,
        show: !live.hidden.has(s.label),
        value: (_u: uPlot, v: number | null) => formatValue(v, live.props().unit),
      })),
    ],
    hooks: {
      setSelect: [
        (u) => {
          const onZoom = live.props().onZoom
          if (u.select.width < 5 || !onZoom) return
          const from = Math.floor(u.posToVal(u.select.left, 'x'))
          const to = Math.ceil(u.posToVal(u.select.left + u.select.width, 'x'))
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
          onZoom(from, to)
        },
      ],
      // A series hidden from the legend stays hidden when the chart is built again (a series
      // came or went): the user chose it.
      setSeries: [
        (u) => {
          for (const s of u.series.slice(1)) {
            const label = String(s.label)
            if (s.show) live.hidden.delete(label)
            else live.hidden.add(label)
          }
        },
      ],
      // The x range actually on the canvas, readable from the page (the browser tests check zooms).
      setScale: [
        (u, key) => {
          if (key !== 'x') return
          u.root.dataset.xMin = String(u.scales.x?.min)
          u.root.dataset.xMax = String(u.scales.x?.max)
        },
      ],
      draw: [
        () => {
          const p = live.pending
          if (!p) return
          live.pending = null
          live.props().onDrawn?.(p.alignMs + performance.now() - p.started)
        },
      ],
    },
  }
}

/**
 * A time-series chart: uPlot on a canvas, the legend toggles series (by mouse or keyboard),
 * dragging zooms. The chart is built once per set of series and only its data replaced on
 * refresh, which keeps auto-refresh cheap.
 */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const latest = useRef(props)
  latest.current = props
  const live = useRef<Live>({ props: () => latest.current, hidden: new Set(), pending: null }).current
  const aligned = useMemo(() => {
    const started = performance.now()
    const data = align(props.series)
    return { data, ms: performance.now() - started }
  }, [props.series])
  const theme = useTheme()
  const shape = `${props.series.map((s) => s.label).join('\u0000')}|${props.height}|${theme}`

  useEffect(() => {
    const el = box.current
    if (!el) return
    const { data, ms } = aligned
    live.pending = { started: performance.now(), alignMs: ms }
    const p = latest.current
    const u = new uPlot(options(p, el.clientWidth || 600, live), data as uPlot.AlignedData, el)
    u.setScale('x', { min: p.from, max: p.to })
    plot.current = u
    // The observer also reports the size it starts with: redrawing all the paths for that is waste.
    const resize = new ResizeObserver(
      () => el.clientWidth !== u.width && u.setSize({ width: el.clientWidth, height: u.height }),
    )
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
    // Built again only when the series set (or the theme) changes; new data is set below.
  }, [shape])

  useEffect(() => {
    const u = plot.current
    if (!u) return
    const { data, ms } = aligned
    const newData = u.data !== data
    if (newData) {
      live.pending = { started: performance.now(), alignMs: ms }
      u.setData(data as uPlot.AlignedData, false)
    }
    if (newData || u.scales.x?.min !== props.from || u.scales.x?.max !== props.to)
      u.setScale('x', { min: props.from, max: props.to })
  }, [aligned, props.from, props.to])

  useEffect(() => {
    plot.current?.redraw(false)
  }, [props.markers])

  return (
    <figure className="chart">
      {props.title && <figcaption>{props.title}</figcaption>}
      {props.series.length === 0 ? <p className="muted chart-empty">No data in this range.</p> : null}
      <div ref={box} className="chart-canvas" />
    </figure>
  )
}
