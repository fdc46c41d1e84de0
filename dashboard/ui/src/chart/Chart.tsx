import { useEffect, useMemo, useRef } from 'react'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { type Aligned, align, type SeriesData } from './align.ts'
import { seriesColor, themeColor } from './palette.ts'

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
  /** Called after each draw with the milliseconds it took (the browser test budgets it). */
  onDrawn?: (ms: number) => void
}

function formatValue(v: number | null, unit = ''): string {
  if (v === null || v === undefined) return '–'
  const abs = Math.abs(v)
  const text =
    abs >= 1e9
      ? `${(v / 1e9).toFixed(2)}G`
      : abs >= 1e6
        ? `${(v / 1e6).toFixed(2)}M`
        : abs >= 1e4
          ? `${(v / 1e3).toFixed(1)}k`
          : `${+v.toFixed(3)}`
  return unit ? `${text} ${unit}` : text
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

function options(props: ChartProps, width: number, markers: () => readonly ChartMarker[]): uPlot.Options {
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
    scales: { x: { time: true, min: props.from, max: props.to } },
    cursor: { drag: { x: true, y: false, setScale: false } },
    legend: { live: true },
    plugins: [markersPlugin(markers)],
    series: [
      {},
      ...props.series.map((s, i) => ({
        label: s.label,
        stroke: seriesColor(i),
        width: 1.5,
        spanGaps: false,
        value: (_u: uPlot, v: number | null) => formatValue(v, props.unit),
      })),
    ],
    hooks: {
      setSelect: [
        (u) => {
          if (u.select.width < 5 || !props.onZoom) return
          const from = Math.floor(u.posToVal(u.select.left, 'x'))
          const to = Math.ceil(u.posToVal(u.select.left + u.select.width, 'x'))
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false)
          props.onZoom(from, to)
        },
      ],
    },
  }
}

/**
 * A time-series chart: uPlot on a canvas, the legend toggles series, dragging zooms. The chart is
 * built once per set of series and only its data replaced on refresh, which keeps auto-refresh
 * cheap.
 */
export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null)
  const plot = useRef<uPlot | null>(null)
  const data = useMemo<Aligned>(() => align(props.series), [props.series])
  const shape = `${props.series.map((s) => s.label).join('\u0000')}|${props.height}`
  const latest = useRef(props)
  latest.current = props
  useEffect(() => {
    const el = box.current
    if (!el) return
    const started = performance.now()
    const u = new uPlot(
      options(latest.current, el.clientWidth || 600, () => latest.current.markers ?? []),
      data as uPlot.AlignedData,
      el,
    )
    plot.current = u
    latest.current.onDrawn?.(performance.now() - started)
    const resize = new ResizeObserver(() => u.setSize({ width: el.clientWidth, height: u.height }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      u.destroy()
      plot.current = null
    }
  }, [shape])

  useEffect(() => {
    const u = plot.current
    if (!u) return
    if (u.data === data && u.scales.x?.min === props.from && u.scales.x?.max === props.to) {
      u.redraw(false)
      return
    }
    const started = performance.now()
    u.setData(data as uPlot.AlignedData, false)
    u.setScale('x', { min: props.from, max: props.to })
    latest.current.onDrawn?.(performance.now() - started)
  }, [data, props.from, props.to, props.markers])

  return (
    <figure className="chart">
      {props.title && <figcaption>{props.title}</figcaption>}
      {props.series.length === 0 ? <p className="muted chart-empty">No data in this range.</p> : null}
      <div ref={box} className="chart-canvas" />
    </figure>
  )
}
