import { useMemo } from 'react'
import { Link, useParams } from 'react-router'
import { Chart } from '../../chart/Chart.tsx'
import { ChartNotes } from '../../chart/ChartNotes.tsx'
import { loadSeries, toChartSeries } from '../../chart/history.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { TimeRangePicker } from '../../time/TimeRangePicker.tsx'
import { type RangeState, useRange } from '../../time/use-range.ts'
import { useApi } from '../../use-api.ts'
import { exploreHref } from '../explore/explore-url.ts'
import { chartQueries, HOST_CHARTS, type HostChartDef } from './default-charts.ts'
import { HostInfo } from './HostInfo.tsx'
import './host.css'

/** A host: where it is bound, when it last reported, and its default charts over the range. */
export default function HostPage() {
  const host = useParams().host ?? ''
  const range = useRange()
  return (
    <section className="stack">
      <h1>{host}</h1>
      <HostInfo host={host} />
      <TimeRangePicker range={range} />
      <div className="chart-grid">
        {HOST_CHARTS.map((def) => (
          <HostChart key={def.title} def={def} host={host} range={range} />
        ))}
      </div>
    </section>
  )
}

/** One default chart, with a link opening its series in the explorer over the same range. */
function HostChart({ def, host, range }: { def: HostChartDef; host: string; range: RangeState }) {
  const queries = useMemo(() => chartQueries(def, host), [def, host])
  const loaded = useApi(
    (api, signal) => loadSeries(api, queries, { from: range.from, to: range.to }, signal),
    [queries, range.from, range.to],
  )
  const series = useMemo(() => toChartSeries(loaded.data?.series ?? [], false), [loaded.data])
  return (
    <div className="host-chart">
      {loaded.data ? (
        <>
          <Chart
            title={def.title}
            unit={def.unit}
            series={series}
            from={loaded.data.from}
            to={loaded.data.to}
            onZoom={(from, to) => range.setSpec({ from: String(from), to: String(to) })}
          />
          <ChartNotes notes={loaded.data.notes} />
        </>
      ) : (
        <figure className="chart">
          <figcaption>{def.title}</figcaption>
          <p className="muted">{loaded.error ? 'Not loaded.' : 'Loading…'}</p>
        </figure>
      )}
      <Link className="open-explore" to={exploreHref({ queries }, range)}>
        Open {def.title} in the explorer
      </Link>
      <ErrorNote error={loaded.error} />
    </div>
  )
}
