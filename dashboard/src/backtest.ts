import { setImmediate } from 'node:timers/promises'
import {
  type BacktestRequest,
  type BacktestSeries,
  type Condition,
  capacityFor,
  compileStrategy,
  type EvaluatePointsOptions,
  evaluatePoints,
  type HostRecord,
  type JudgeEvent,
  MAX_BACKTEST_POINTS,
  MAX_BACKTEST_SECONDS,
  MAX_BACKTEST_SERIES,
  type PointValue,
  type Store,
  type Strategy,
  StrategyResolver,
  type Tree,
  type TrialEvent,
  type VerdictRecord,
} from '@peregrine/common'
import { FieldError } from './config/checks.ts'
import { type EndpointFilter, rawPoints, type SeriesRow, seriesOfMetric } from './queries.ts'

/** An event as evaluate and backtest answer it: what it says about its one series. */
export function trialEvent(e: JudgeEvent): TrialEvent {
  const out: TrialEvent = {
    timestamp: e.timestamp,
    status: e.status,
    value: e.value,
    step: e.step,
    kind: e.kind,
  }
  if (e.flapping !== undefined) out.flapping = e.flapping
  return out
}

/**
 * The endpoints a strategy applies to: bound (node set), the hosts whose effective strategies
 * include it (inherited, not overridden or excluded below: the StrategyResolver over the stored
 * strategies, with this one in place of its stored version); an expression, every endpoint
 * (null). Then only those in `visible` (the token's; null: all) and in `only` (the caller's).
 */
export function endpointsOf(
  strategy: Strategy,
  config: { tree: Tree; strategies: readonly Strategy[]; hosts: readonly HostRecord[] },
  visible: EndpointFilter,
  only: readonly string[] | undefined,
): EndpointFilter {
  let list: EndpointFilter = null
  if (strategy.node !== null) {
    const others = config.strategies.filter((s) => s.id !== strategy.id)
    const resolver = new StrategyResolver(config.tree, [...others, strategy])
    list = config.hosts
      .filter((h) => resolver.forHost(h.nodes).some((e) => e.strategy.id === strategy.id))
      .map((h) => h.host)
  }
  for (const narrow of [visible, only ?? null]) {
    if (narrow === null) continue
    const keep = new Set(narrow)
    list = list === null ? [...keep] : list.filter((e) => keep.has(e))
  }
  return list
}

/** Points evaluated between two turns of the event loop. */
const YIELD_EVERY_POINTS = 100_000

/** How far before a series' first verdict a condition reads: its window, and one more point for a rate. */
function reach(c: Condition, step: number): number {
  return Math.max((capacityFor(c, step) + 1) * step, c.seconds + step)
}

export interface BacktestResult {
  series: BacktestSeries[]
  truncated: boolean
}

/**
 * Runs a strategy over the stored history of `endpoints` in [from, to]: every series its metric +
 * tags select there (at most MAX_BACKTEST_SERIES, by endpoint and tags), with its extra
 * conditions' series of the same endpoint, read raw and given to evaluatePoints with their
 * counter types (which turns COUNTER/DERIVE into rates). Points up to a window before `from` fill
 * the windows; no data is checked up to `to` (or now, if sooner). Series without points are left
 * out. Throws a FieldError (400) when it would read more than MAX_BACKTEST_POINTS points.
 */
export async function backtest(
  store: Store,
  strategy: Strategy,
  endpoints: EndpointFilter,
  q: Pick<BacktestRequest, 'from' | 'to' | 'verdicts' | 'timeZone'>,
  now = Math.floor(Date.now() / 1000),
): Promise<BacktestResult> {
  // A disabled strategy is tried as if it were enabled: trying it is what one does before enabling.
  const judged = { ...strategy, enabled: true }
  const compiled = compileStrategy(judged)
  const limit = MAX_BACKTEST_SERIES + 1
  const primaries = await seriesOfMetric(store, {
    endpoints,
    metric: strategy.metric,
    tags: strategy.tags,
    limit,
  })
  let truncated = primaries.length > MAX_BACKTEST_SERIES
  primaries.length = Math.min(primaries.length, MAX_BACKTEST_SERIES)
  const hosts = [...new Set(primaries.map((s) => s.endpoint))]
  const extras = await Promise.all(
    (strategy.also ?? []).map((c) =>
      seriesOfMetric(store, { endpoints: hosts, metric: c.metric, tags: c.tags, limit }),
    ),
  )
  for (const list of extras) {
    if (list.length > MAX_BACKTEST_SERIES) truncated = true
    list.length = Math.min(list.length, MAX_BACKTEST_SERIES)
  }

  let lookback = 0
  for (const s of primaries) lookback = Math.max(lookback, reach(compiled.primary, s.step))
  extras.forEach((list, i) => {
    for (const s of list) lookback = Math.max(lookback, reach(compiled.also[i]!, s.step))
  })
  const start = Math.max(0, q.from - Math.min(lookback, MAX_BACKTEST_SECONDS))
  const all = [...primaries, ...extras.flat()]
  const estimate = all.reduce((n, s) => n + Math.floor((q.to - start) / s.step) + 1, 0)
  if (estimate > MAX_BACKTEST_POINTS)
    throw new FieldError(
      'from',
      `this backtest would read about ${estimate} points of ${all.length} series; at most ` +
        `${MAX_BACKTEST_POINTS}: shorten from–to or name fewer endpoints`,
    )

  const stored = await rawPoints(store, [...new Set(all.map((s) => s.fp))], start, q.to)
  const pointsOf = (s: SeriesRow): PointValue[] => {
    const p = stored.get(s.fp)
    if (p === undefined) return []
    const out = new Array<PointValue>(p.ts.length)
    for (let i = 0; i < p.ts.length; i++) out[i] = { timestamp: p.ts[i]!, value: p.values[i]! }
    return out
  }
  const alsoOf = new Map<string, NonNullable<EvaluatePointsOptions['also']>[number][]>()
  extras.forEach((list, condition) => {
    for (const s of list) {
      const entry = {
        condition,
        counterType: s.counter_type,
        step: s.step,
        tags: s.tags,
        points: pointsOf(s),
      }
      const forHost = alsoOf.get(s.endpoint)
      if (forHost) forHost.push(entry)
      else alsoOf.set(s.endpoint, [entry])
    }
  })

  const series: BacktestSeries[] = []
  let sinceYield = 0
  for (const s of primaries) {
    if (!stored.has(s.fp)) continue
    // Evaluating is synchronous: let other requests (and health checks) in now and then.
    if (sinceYield >= YIELD_EVERY_POINTS) {
      sinceYield = 0
      await setImmediate()
    }
    sinceYield += stored.get(s.fp)!.ts.length
    // Verdicts straight into columns: a record kept per verdict would cost more than evaluating.
    const verdicts = q.verdicts
      ? { timestamps: [] as number[], values: [] as (number | null)[], truth: [] as (boolean | null)[] }
      : undefined
    const r = evaluatePoints(judged, { counterType: s.counter_type, step: s.step }, pointsOf(s), {
      endpoint: s.endpoint,
      tags: s.tags,
      also: alsoOf.get(s.endpoint) ?? [],
      from: q.from,
      until: Math.min(q.to, now),
      ...(verdicts && {
        onVerdict: (v: VerdictRecord) => {
          verdicts.timestamps.push(v.timestamp)
          verdicts.values.push(v.value)
          verdicts.truth.push(v.truth)
        },
      }),
      ...(q.timeZone !== undefined && { timeZone: q.timeZone }),
    })
    const out: BacktestSeries = {
      endpoint: s.endpoint,
      metric: s.metric,
      tags: s.tags,
      counterType: s.counter_type,
      step: s.step,
      events: r.events.map(trialEvent),
    }
    if (verdicts) out.verdicts = verdicts
    series.push(out)
  }
  return { series, truncated }
}
