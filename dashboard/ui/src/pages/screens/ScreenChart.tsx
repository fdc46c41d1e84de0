import { useMemo } from 'react'
import { Chart } from '../../chart/Chart.tsx'
import { ChartNotes } from '../../chart/ChartNotes.tsx'
import { loadSeries, toChartSeries } from '../../chart/history.ts'
import { useApi } from '../../use-api.ts'
import { metricQuery } from './query.ts'
import type { ScreenChartView } from './types.ts'

export interface ScreenChartProps {
  chart: ScreenChartView
  from: number
  to: number
  onZoom(from: number, to: number): void
}

/** One chart of a screen: its queries' lines over the range, reloaded when the range moves. */
export function ScreenChart({ chart, from, to, onZoom }: ScreenChartProps) {
  const data = useApi(
    (api, signal) => loadSeries(api, chart.queries.map(metricQuery), { from, to }, signal),
    [JSON.stringify(chart.queries), from, to],
  )
  const series = useMemo(() => toChartSeries(data.data?.series ?? []), [data.data])
  if (!data.data)
    return (
      <figure className="chart">
        <figcaption>{chart.title}</figcaption>
        {data.error ? (
          <p className="error">{data.error.message}</p>
        ) : (
          <p className="muted chart-empty">Loading…</p>
        )}
      </figure>
    )
  return (
    <div>
      <Chart
        title={chart.title}
        series={series}
        from={from}
        to={to}
        unit={chart.unit}
        height={chart.height}
        onZoom={onZoom}
      />
      <ChartNotes notes={[...data.data.notes, ...(data.error ? [data.error.message] : [])]} />
    </div>
  )
}
