import type * as evaluate from '@peregrine/common/api/evaluate'
import type { z } from 'zod'
import type { ChartMarker, ChartSeries } from '../../chart/Chart.tsx'

export type BacktestResponse = z.infer<typeof evaluate.BacktestResponse>
type BacktestSeries = BacktestResponse['series'][number]
type TrialEvent = BacktestSeries['events'][number]

/** How far back a preview looks. */
export const PREVIEW_SECONDS = 86_400
/** Series drawn at most: more lines than this read as noise. */
export const MAX_CHARTED = 8

/** The backtest a preview asks for: the strategy as typed, over the last 24 hours up to `now`. */
export function previewRequest(strategy: Record<string, unknown>, nowSeconds: number) {
  return { strategy, from: nowSeconds - PREVIEW_SECONDS, to: nowSeconds, verdicts: true }
}

export const seriesLabel = (s: Pick<BacktestSeries, 'endpoint' | 'tags'>) =>
  s.tags ? `${s.endpoint} {${s.tags}}` : s.endpoint

export interface EventRow extends TrialEvent {
  endpoint: string
  tags: string
}

/** Every would-be event of every series, in time order (then by endpoint). */
export function eventRows(result: BacktestResponse): EventRow[] {
  return result.series
    .flatMap((s) => s.events.map((e) => ({ ...e, endpoint: s.endpoint, tags: s.tags })))
    .sort((a, b) => a.timestamp - b.timestamp || a.endpoint.localeCompare(b.endpoint))
}

export interface PreviewChart {
  series: ChartSeries[]
  markers: ChartMarker[]
  /** Where the chart starts: the first verdict, when the data starts later than the range. */
  from: number
  /** Series in the answer; the chart shows at most MAX_CHARTED of them. */
  total: number
}

/**
 * The verdict values of the series (those with would-be events first, where the strategy has
 * something to say), with their events as markers in the colours given. A range whose data
 * starts late is drawn from its first verdict, not squeezed into the right edge.
 */
export function previewChart(
  result: BacktestResponse,
  colors: { problem: string; ok: string },
  max = MAX_CHARTED,
): PreviewChart {
  const charted = [...result.series]
    .sort((a, b) => Number(b.events.length > 0) - Number(a.events.length > 0))
    .slice(0, max)
  const firsts = charted.flatMap((s) => s.verdicts?.timestamps.slice(0, 1) ?? [])
  return {
    from: firsts.length ? Math.max(result.from, Math.min(...firsts)) : result.from,
    series: charted.map((s) => ({
      label: seriesLabel(s),
      timestamps: s.verdicts?.timestamps ?? [],
      values: s.verdicts?.values ?? [],
    })),
    markers: charted.flatMap((s) =>
      s.events.map((e) => ({
        timestamp: e.timestamp,
        color: e.status === 'PROBLEM' ? colors.problem : colors.ok,
        label: `${e.status} ${seriesLabel(s)}`,
      })),
    ),
    total: result.series.length,
  }
}
