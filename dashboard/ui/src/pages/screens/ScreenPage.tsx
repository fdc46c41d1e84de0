import { Link, useLocation, useParams } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { TimeRangePicker } from '../../time/TimeRangePicker.tsx'
import { useRange } from '../../time/use-range.ts'
import { useApi } from '../../use-api.ts'
import { useNodePath } from '../node/NodePage.tsx'
import { screensUrl } from './links.ts'
import { ScreenChart } from './ScreenChart.tsx'
import type { ScreenView } from './types.ts'

/**
 * A screen: its charts in a grid over the range picked (dragging across a chart zooms). Range and
 * auto-refresh live in the URL, so the address is the link to this very view.
 */
export default function ScreenPage() {
  const path = useNodePath()
  const id = useParams().id ?? ''
  const { can } = useSession()
  const range = useRange()
  // Auto-refresh follows edits of the screen too (a wall display), not only new points.
  const screen = useApi(
    (api, signal) => api.get<ScreenView>(`/api/v1/screens/${seg(id)}`, undefined, signal),
    [id],
    range.refresh,
  )
  const s = screen.data
  const zoom = (from: number, to: number) => range.setSpec({ from: String(from), to: String(to) })
  return (
    <div className="stack">
      <ErrorNote error={screen.error} />
      {s && (
        <>
          <div className="row screen-head">
            <h2>{s.name}</h2>
            {s.node !== path && s.node !== null && (
              <span className="muted">
                from <Link to={screensUrl(s.node)}>{s.node}</Link>
              </span>
            )}
            <span className="spacer" />
            {s.node !== null && can('editor', s.node) && (
              <Link to={`${screensUrl(path)}/${seg(s.id)}/edit`} className="button">
                Edit
              </Link>
            )}
          </div>
          <TimeRangePicker range={range} />
          <ShareLink />
          {s.charts.length === 0 ? (
            <p className="muted">This screen has no charts yet.</p>
          ) : (
            <div className="chart-grid">
              {s.charts.map((chart, i) => (
                <ScreenChart
                  // Charts have no ids: position and title tell them apart within one screen.
                  key={`${i}:${chart.title}`}
                  chart={chart}
                  from={range.from}
                  to={range.to}
                  onZoom={zoom}
                />
              ))}
            </div>
          )}
        </>
      )}
    </div>
  )
}

/** The page's address, ready to copy: it opens this screen with this range for anyone signed in. */
function ShareLink() {
  const { pathname, search } = useLocation()
  const href = `${window.location.origin}${pathname}${search}`
  return (
    <label className="share-link">
      Link to this view
      <input readOnly value={href} onFocus={(e) => e.currentTarget.select()} />
    </label>
  )
}
