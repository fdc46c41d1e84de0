import { Chart } from '../../chart/Chart.tsx'
import { useApi } from '../../use-api.ts'
import { loadChart } from './chart-data.ts'
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
    (api, signal) => loadChart(api, chart, from, to, signal),
    [JSON.stringify(chart), from, to],
  )
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
        series={data.data.series}
        from={from}
        to={to}
        unit={chart.unit}
        height={chart.height}
        onZoom={onZoom}
      />
      {[...data.data.notes, ...(data.error ? [data.error.message] : [])].map((note) => (
        <p key={note} className="chart-note">
          {note}
        </p>
      ))}
    </div>
  )
}
