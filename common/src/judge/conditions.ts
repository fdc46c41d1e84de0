import { durationSeconds, type ExtraCondition, type StrategySpec } from '../model/strategy.ts'
import { type ActiveWindow, parseActiveWindow } from './active-window.ts'

/** What the evaluator needs of a strategy: a StrategySpec (parsed, defaults applied) and its id. */
export type JudgedStrategy = StrategySpec & { id: string }

/** Function codes, in the order of FUNCTIONS. */
export const FN = { all: 0, max: 1, min: 2, sum: 3, avg: 4, diff: 5, pdiff: 6, lookup: 7, stddev: 8 } as const
/** Operator codes. */
export const OP = { '==': 0, '!=': 1, '<': 2, '<=': 3, '>': 4, '>=': 5 } as const

/**
 * The most values one condition keeps per series. `diff(#999)` needs 1,000; a duration window
 * over a short step (`avg(1h)` at 1 s) is cut to its newest 1,000 values.
 */
export const MAX_WINDOW_VALUES = 1000

/** One condition (a strategy's own, or one of its `also`) in the form the hot path reads. */
export interface Condition {
  readonly metric: string
  /** The `k=v` pairs a series must carry (the strategy's tags ⊆ the series' tags). */
  readonly tags: readonly string[]
  readonly fn: number
  /** N of `#N`; 0 for a duration window. */
  readonly points: number
  /** Seconds of a duration window; 0 for `#N`. */
  readonly seconds: number
  /** M of lookup; 0 otherwise. */
  readonly hits: number
  readonly op: number
  readonly threshold: number
}

/** A strategy compiled once (per strategy object) for evaluation. */
export interface CompiledStrategy {
  readonly id: string
  readonly priority: number
  readonly enabled: boolean
  readonly primary: Condition
  readonly also: readonly Condition[]
  /** `combine: or`; `and` otherwise. */
  readonly or: boolean
  /** Seconds the condition must hold before PROBLEM; 0 without `hold`. */
  readonly hold: number
  /** Seconds without a point that make a no-data PROBLEM; 0 without `nodata`. */
  readonly nodata: number
  readonly maxNotifications: number
  readonly minInterval: number
  readonly active: ActiveWindow | null
}

type ConditionFields = Pick<
  ExtraCondition,
  'metric' | 'tags' | 'fn' | 'window' | 'hits' | 'operator' | 'threshold'
>

export function compileCondition(c: ConditionFields): Condition {
  const points = c.window.startsWith('#') ? Number(c.window.slice(1)) : 0
  return {
    metric: c.metric,
    tags: c.tags === '' ? [] : c.tags.split(','),
    fn: FN[c.fn],
    points,
    seconds: points > 0 ? 0 : durationSeconds(c.window),
    hits: c.hits ?? 0,
    op: OP[c.operator],
    threshold: c.threshold,
  }
}

export function compileStrategy(s: JudgedStrategy): CompiledStrategy {
  return {
    id: s.id,
    priority: s.priority,
    enabled: s.enabled,
    primary: compileCondition(s),
    also: (s.also ?? []).map(compileCondition),
    or: s.combine === 'or',
    hold: s.hold === undefined ? 0 : durationSeconds(s.hold),
    nodata: s.nodata === undefined ? 0 : durationSeconds(s.nodata),
    maxNotifications: s.maxNotifications,
    minInterval: s.minIntervalSeconds,
    active: s.activeWindow ? parseActiveWindow(s.activeWindow) : null,
  }
}

/** True when `fn` compares the newest value with older ones: N+1 values for `#N`. */
export function comparesWithOlder(fn: number): boolean {
  return fn === FN.diff || fn === FN.pdiff
}

/**
 * How many values a condition keeps for a series of this step: N for `#N` (N+1 for diff and
 * pdiff); for a duration d, the values a window (newest − d, newest] can hold at aligned
 * timestamps, ceil(d / step); at most MAX_WINDOW_VALUES.
 */
export function capacityFor(c: Condition, step: number): number {
  const n = c.points > 0 ? c.points + (comparesWithOlder(c.fn) ? 1 : 0) : Math.ceil(c.seconds / step)
  return Math.min(n, MAX_WINDOW_VALUES)
}

/** Metric equal and the condition's tags a subset of the series' tags (as StrategyResolver). */
export function conditionMatches(c: Condition, metric: string, seriesTags: ReadonlySet<string>): boolean {
  if (c.metric !== metric) return false
  for (const pair of c.tags) if (!seriesTags.has(pair)) return false
  return true
}
