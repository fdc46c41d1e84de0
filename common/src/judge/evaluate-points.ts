import type { CounterType } from '../points.ts'
import type { JudgedStrategy } from './conditions.ts'
import { Evaluator, type EvaluatorOptions, type SeriesHandle, type VerdictRecord } from './evaluator.ts'
import type { JudgeEvent } from './events.ts'

export interface PointValue {
  timestamp: number
  value: number
}

export interface EvaluatedSeries {
  counterType: CounterType
  step: number
}

export interface EvaluatePointsOptions extends Pick<EvaluatorOptions, 'timeZone' | 'flapping' | 'onVerdict'> {
  /** Endpoint the series belong to, as events name it; `evaluate` by default. */
  endpoint?: string
  /** Tags of the series (must include the strategy's); the strategy's tags by default. */
  tags?: string
  /**
   * Points of the series the extra conditions (`also`) read: one entry per condition, in order,
   * or entries naming their condition (an index into the strategy's `also`), several per
   * condition when it selects several series of the endpoint.
   */
  also?: readonly (EvaluatedSeries & { tags?: string; condition?: number; points: readonly PointValue[] })[]
  /**
   * Points stamped (aligned) before this time (unix seconds) only fill the windows, as a judge
   * replaying history does (Evaluator.warm): no verdict, no event, no no-data check before it.
   */
  from?: number
  /** After the last point, raise what `nodata` would have raised by this time (unix seconds). */
  until?: number
  /** Also return every verdict taken (the values compared); `onVerdict` sees them one by one. */
  verdicts?: boolean
}

export interface EvaluatePointsResult {
  events: JudgeEvent[]
  /** Points not evaluated: not newer than the series' newest, or not finite. */
  ignored: number
  verdicts?: VerdictRecord[]
}

/**
 * What a strategy would raise on given points: the judge's own evaluator on a fresh state,
 * fed the points as if they streamed in. Behind `POST /api/v1/strategies/evaluate` and backtests.
 *
 * Points of a series are taken in the order given (a point not newer than the one before it is
 * ignored, as the judge ignores it); with `also`, the series are merged by timestamp, extra
 * series first at equal timestamps. Timestamps are aligned down to the step. Before each point,
 * and at `until`, no data is checked as the judge's timer would. With `from`, older points only
 * fill the windows.
 */
export function evaluatePoints(
  strategy: Omit<JudgedStrategy, 'id'> & { id?: string },
  series: EvaluatedSeries,
  points: readonly PointValue[],
  options: EvaluatePointsOptions = {},
): EvaluatePointsResult {
  const verdicts: VerdictRecord[] | undefined = options.verdicts ? [] : undefined
  const given = options.onVerdict
  const onVerdict =
    verdicts === undefined
      ? given
      : (v: VerdictRecord) => {
          verdicts.push(v)
          given?.(v)
        }
  const evaluator = new Evaluator({
    ...(options.timeZone !== undefined && { timeZone: options.timeZone }),
    ...(options.flapping !== undefined && { flapping: options.flapping }),
    ...(onVerdict !== undefined && { onVerdict }),
  })
  const judged: JudgedStrategy = { ...strategy, id: strategy.id ?? 'evaluate' }
  const strategies = [judged]
  const endpoint = options.endpoint ?? 'evaluate'
  const streams: { handle: SeriesHandle; points: readonly PointValue[]; next: number }[] = []
  ;(options.also ?? []).forEach((extra, i) => {
    const c = judged.also?.[extra.condition ?? i]
    if (c === undefined) return
    const def = {
      endpoint,
      metric: c.metric,
      tags: extra.tags ?? c.tags,
      counterType: extra.counterType,
      step: extra.step,
    }
    streams.push({ handle: evaluator.series(def), points: extra.points, next: 0 })
  })
  const tags = options.tags ?? judged.tags
  const primary = {
    endpoint,
    metric: judged.metric,
    tags,
    counterType: series.counterType,
    step: series.step,
  }
  streams.push({ handle: evaluator.series(primary), points, next: 0 })

  const events: JudgeEvent[] = []
  const from = options.from ?? Number.NEGATIVE_INFINITY
  let ignored = 0
  for (;;) {
    let pick: (typeof streams)[number] | undefined
    let pickTs = Number.POSITIVE_INFINITY
    for (const st of streams) {
      const p = st.points[st.next]
      if (p === undefined) continue
      // A timestamp that is not a number goes first, to be counted as ignored.
      const ts = Number.isFinite(p.timestamp)
        ? p.timestamp - (p.timestamp % st.handle.step)
        : Number.NEGATIVE_INFINITY
      if (ts < pickTs || pick === undefined) {
        pick = st
        pickTs = ts
      }
    }
    if (pick === undefined) break
    const p = pick.points[pick.next++]!
    let added: boolean
    if (pickTs < from) added = evaluator.warm(pick.handle, p.timestamp, p.value, strategies)
    else {
      if (Number.isFinite(pickTs)) evaluator.checkNodata(pickTs, events)
      added = evaluator.add(pick.handle, p.timestamp, p.value, strategies, events)
    }
    if (!added) ignored++
  }
  if (options.until !== undefined) evaluator.checkNodata(options.until, events)
  return verdicts ? { events, ignored, verdicts } : { events, ignored }
}
