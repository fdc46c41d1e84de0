import { useEffect, useMemo, useState } from 'react'
import { Chart } from '../../chart/Chart.tsx'
import { themeColor } from '../../chart/palette.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { formatLocal } from '../../time/range.ts'
import { type BacktestResponse, eventRows, PREVIEW_SECONDS, previewChart, previewRequest } from './preview.ts'

/** Wait this long after the last keystroke before asking: typing a threshold is several edits. */
export const PREVIEW_DELAY_MS = 600
/** Events listed at most; the count says how many there are. */
const MAX_LISTED = 200

type PreviewState =
  | { phase: 'idle' }
  | { phase: 'loading'; result?: BacktestResponse }
  | { phase: 'done'; result: BacktestResponse }
  | { phase: 'failed'; error: unknown; result?: BacktestResponse }

/**
 * Backtests `strategy` over the last 24 hours, `PREVIEW_DELAY_MS` after it last changed. A change
 * cancels the pending request, so a slow answer for an older draft never shows. The previous
 * answer stays on screen while the next loads.
 */
function usePreview(strategy: Record<string, unknown> | null): PreviewState {
  const { api } = useSession()
  const [state, setState] = useState<PreviewState>({ phase: 'idle' })
  const key = strategy === null ? null : JSON.stringify(strategy)
  useEffect(() => {
    if (key === null) {
      setState({ phase: 'idle' })
      return
    }
    const ctrl = new AbortController()
    setState((s) => ({ phase: 'loading', ...('result' in s && s.result && { result: s.result }) }))
    const timer = setTimeout(() => {
      const body = previewRequest(JSON.parse(key), Math.floor(Date.now() / 1000))
      api.post<BacktestResponse>('/api/v1/strategies/backtest', body, ctrl.signal).then(
        (result) => !ctrl.signal.aborted && setState({ phase: 'done', result }),
        (error: unknown) =>
          !ctrl.signal.aborted &&
          setState((s) => ({
            phase: 'failed',
            error,
            ...('result' in s && s.result && { result: s.result }),
          })),
      )
    }, PREVIEW_DELAY_MS)
    return () => {
      clearTimeout(timer)
      ctrl.abort()
    }
  }, [api, key])
  return state
}

/** What the strategy being edited would have raised over the last 24 hours: chart and events. */
export function Preview({ strategy }: { strategy: Record<string, unknown> | null }) {
  const state = usePreview(strategy)
  const result = state.phase === 'idle' ? undefined : state.result
  return (
    <section className="strategy-preview" aria-label="Preview" aria-busy={state.phase === 'loading'}>
      <h2>Preview: the last 24 hours</h2>
      {state.phase === 'idle' && <p className="muted">The preview runs once the condition is valid.</p>}
      {state.phase === 'loading' && <p className="muted">Evaluating…</p>}
      {state.phase === 'failed' && <ErrorNote error={state.error} />}
      {result && <PreviewResult result={result} stale={state.phase !== 'done'} />}
    </section>
  )
}

function PreviewResult({ result, stale }: { result: BacktestResponse; stale: boolean }) {
  const chart = useMemo(
    () =>
      previewChart(result, {
        problem: themeColor('--danger', '#b3261e'),
        ok: themeColor('--ok', '#1e6b34'),
      }),
    [result],
  )
  const events = useMemo(() => eventRows(result), [result])
  if (result.series.length === 0)
    return (
      <p className={stale ? 'stale' : undefined} data-testid="preview-summary">
        This strategy applies to no series here: no host it would apply to has points of its metric (and tags)
        in the last 24 hours.
      </p>
    )
  const problems = events.filter((e) => e.status === 'PROBLEM').length
  return (
    <div className={stale ? 'stack stale' : 'stack'}>
      <p data-testid="preview-summary">
        {result.series.length} series evaluated · {events.length} would-be events ({problems} PROBLEM)
        {chart.total > chart.series.length &&
          ` · the chart shows ${chart.series.length} of them, those with events first`}
      </p>
      {result.truncated && (
        <p className="warn">More series match than a backtest evaluates: only the first ones are shown.</p>
      )}
      <Chart
        title="Value the function reported"
        series={chart.series}
        markers={chart.markers}
        from={chart.from}
        to={result.to}
        height={220}
      />
      <EventList events={events} />
    </div>
  )
}

function EventList({ events }: { events: ReturnType<typeof eventRows> }) {
  if (events.length === 0) return <p className="muted">It would have raised no event.</p>
  return (
    <>
      <table aria-label="Would-be events">
        <thead>
          <tr>
            <th>Time</th>
            <th>Endpoint</th>
            <th>Status</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {events.slice(0, MAX_LISTED).map((e) => (
            <tr key={`${e.endpoint}\n${e.tags}\n${e.timestamp}\n${e.kind}\n${e.status}`}>
              <td>{formatLocal(e.timestamp)}</td>
              <td>
                {e.endpoint}
                {e.tags && <span className="muted"> {e.tags}</span>}
              </td>
              <td className={e.status === 'PROBLEM' ? 'error' : 'ok'}>
                {e.status}
                {e.kind === 'nodata' && ' (no data)'}
                {e.step > 1 && ` #${e.step}`}
                {e.flapping !== undefined && (e.flapping ? ' (starts flapping)' : ' (stops flapping)')}
              </td>
              <td>{e.value === null ? '–' : +e.value.toFixed(3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {events.length > MAX_LISTED && (
        <p className="muted">
          and {events.length - MAX_LISTED} more over {PREVIEW_SECONDS / 3600} hours
        </p>
      )}
    </>
  )
}
