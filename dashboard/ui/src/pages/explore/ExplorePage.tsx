import { useCallback, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import { Chart } from '../../chart/Chart.tsx'
import { ChartNotes } from '../../chart/ChartNotes.tsx'
import { describeQuery, loadSeries, type MetricQuery, toChartSeries } from '../../chart/history.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { TimeRangePicker } from '../../time/TimeRangePicker.tsx'
import { useRange } from '../../time/use-range.ts'
import { useApi } from '../../use-api.ts'
import { type ExploreState, readExplore, writeExplore } from './explore-url.ts'
import { QueryForm } from './QueryForm.tsx'
import { ShareLink } from './ShareLink.tsx'
import { StepPicker } from './StepPicker.tsx'
import './explore.css'

/**
 * The metric explorer: several queries (endpoint or endpoint prefix, metric, tags) in one chart,
 * over a range that dragging zooms into. Everything is in the URL, so a link shares the view and
 * the browser's back button undoes a zoom.
 */
export default function ExplorePage() {
  const [params, setParams] = useSearchParams()
  const state = readExplore(params)
  const range = useRange()
  const update = useCallback(
    (change: (s: ExploreState) => ExploreState) =>
      setParams((prev) => writeExplore(prev, change(readExplore(prev)))),
    [setParams],
  )
  // The queries as the URL spells them: a stable key for reloading.
  const key = params.getAll('q').join('\n')
  const loaded = useApi(
    (api, signal) =>
      loadSeries(api, state.queries, { from: range.from, to: range.to, step: state.step }, signal),
    [key, range.from, range.to, state.step],
  )
  const series = useMemo(() => toChartSeries(loaded.data?.series ?? []), [loaded.data])
  const { drawn, onDrawn } = useDrawFigures()

  return (
    <section className="stack explore">
      <h1>Explore</h1>
      <QueryForm onAdd={(q) => update((s) => ({ ...s, queries: [...s.queries, q] }))} />
      <QueryList
        queries={state.queries}
        onRemove={(i) => update((s) => ({ ...s, queries: s.queries.filter((_, k) => k !== i) }))}
      />
      <div className="row">
        <TimeRangePicker range={range} />
        <StepPicker step={state.step} onChange={(step) => update((s) => ({ ...s, step }))} />
        <ShareLink />
      </div>
      <ErrorNote error={loaded.error} />
      {state.queries.length === 0 ? (
        <p className="muted">Add a query to chart it.</p>
      ) : !loaded.data ? (
        <p className="muted">{loaded.error ? 'Not loaded.' : 'Loading…'}</p>
      ) : (
        <>
          <Chart
            series={series}
            from={loaded.data.from}
            to={loaded.data.to}
            height={360}
            onZoom={(from, to) => range.setSpec({ from: String(from), to: String(to) })}
            onDrawn={onDrawn}
          />
          <ChartNotes notes={loaded.data.notes} />
          <ChartStatus series={loaded.data.series} loading={loaded.loading} drawn={drawn} />
        </>
      )}
    </section>
  )
}

interface DrawFigures {
  count: number
  /** The chart's own work for its last new data (Chart's onDrawn). */
  ms: number
  /** From the same start until the frame showing it was painted. */
  paintMs: number
}

/** How long the chart took to show its last data, counted once that frame is painted. */
function useDrawFigures() {
  const [drawn, setDrawn] = useState<DrawFigures>({ count: 0, ms: 0, paintMs: 0 })
  const onDrawn = useCallback((ms: number) => {
    const drawnAt = performance.now()
    // A task queued from an animation frame runs once that frame is out.
    requestAnimationFrame(() =>
      setTimeout(() =>
        setDrawn((d) => ({ count: d.count + 1, ms, paintMs: ms + performance.now() - drawnAt })),
      ),
    )
  }, [])
  return { drawn, onDrawn }
}

function QueryList(props: { queries: readonly MetricQuery[]; onRemove(i: number): void }) {
  if (props.queries.length === 0) return null
  return (
    <table aria-label="Queries">
      <thead>
        <tr>
          <th>Query</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {props.queries.map((q, i) => (
          <tr key={i}>
            <td>{describeQuery(q)}</td>
            <td>
              <button
                type="button"
                onClick={() => props.onRemove(i)}
                aria-label={`Remove ${describeQuery(q)}`}
              >
                Remove
              </button>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/**
 * What the chart holds and how long it took to draw (also as data attributes, which the browser
 * test reads to hold the chart to its budget).
 */
function ChartStatus(props: {
  series: readonly { timestamps: ArrayLike<number>; resolution: string; interval: number }[]
  loading: boolean
  drawn: DrawFigures
}) {
  const points = props.series.reduce((n, s) => n + s.timestamps.length, 0)
  const first = props.series[0]
  return (
    <p
      className="muted chart-status"
      data-testid="chart-status"
      data-draw-ms={props.drawn.ms.toFixed(1)}
      data-paint-ms={props.drawn.paintMs.toFixed(1)}
      data-draws={props.drawn.count}
    >
      {props.series.length} series · {points.toLocaleString()} points
      {first && ` · ${first.resolution}, every ${first.interval} s`}
      {props.drawn.count > 0 && ` · drawn in ${Math.round(props.drawn.ms)} ms`}
      {props.loading && ' · loading…'}
    </p>
  )
}
