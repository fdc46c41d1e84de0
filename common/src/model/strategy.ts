import { z } from 'zod'
import { TagText } from './tree.ts'

export const FUNCTIONS = ['all', 'max', 'min', 'sum', 'avg', 'diff', 'pdiff', 'lookup', 'stddev'] as const
export const OPERATORS = ['==', '!=', '<', '<=', '>', '>='] as const
export const PRIORITIES = [0, 1, 2, 3, 4, 5, 6] as const

/** `#N` (the newest N points, Open-Falcon's way) or a duration such as `90s`, `5m`, `1h`. */
export const Window = z
  .string()
  .regex(/^(#([1-9]\d{0,2})|[1-9]\d{0,5}[smh])$/, 'a window is #N (points) or a duration like 5m')
/** A duration such as `30s`, `2m`, `1h`, `1d`. */
export const Duration = z.string().regex(/^[1-9]\d{0,6}[smhd]$/, 'a duration like 30s, 2m, 1h or 1d')
/** `HH:MM`, 24-hour clock. */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM')

/** An IANA time zone (`Europe/Berlin`), as Intl knows it: where active windows are read. */
export const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}, 'an IANA time zone, e.g. Europe/Berlin')

export function durationSeconds(d: string): number {
  const n = Number(d.slice(0, -1))
  const unit = d.at(-1)
  return n * (unit === 's' ? 1 : unit === 'm' ? 60 : unit === 'h' ? 3600 : 86_400)
}

/** Most extra conditions a compound strategy may carry. */
export const MAX_EXTRA_CONDITIONS = 4

/** A condition: which series (metric + tags) and what is true of them (function, window, comparison). */
const ConditionShape = {
  metric: z.string().min(1).max(255),
  tags: TagText,
  fn: z.enum(FUNCTIONS),
  window: Window,
  /** lookup(#M,N): how many of the window's values must satisfy. */
  hits: z.number().int().positive().optional(),
  operator: z.enum(OPERATORS).default('>'),
  threshold: z.number().finite(),
}

/**
 * One more condition of a compound strategy (`A and B`, `A or B`): a metric + tags of the same
 * endpoint and a function over it, with the fields and rules of the strategy's own condition.
 */
export const ExtraCondition = z.strictObject(ConditionShape).superRefine(checkHits)
export type ExtraCondition = z.infer<typeof ExtraCondition>

const StrategyFields = z.object({
  /** Unique within its node (or among expressions); how strategies-as-code refers to it. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . -; up to 63 characters'),
  ...ConditionShape,
  /** The condition must hold this long before PROBLEM. */
  hold: Duration.optional(),
  /** No point for this long is itself a PROBLEM. */
  nodata: Duration.optional(),
  priority: z.number().int().min(0).max(6).default(3),
  maxNotifications: z.number().int().min(0).max(1000).default(3),
  minIntervalSeconds: z
    .number()
    .int()
    .min(0)
    .max(86_400 * 7)
    .default(300),
  /** Strict like the whole strategy: a `tz: UTC` here would otherwise be dropped without a word. */
  activeWindow: z.strictObject({ from: ClockTime, to: ClockTime }).optional(),
  note: z.string().max(2000).default(''),
  /** Teams notified. */
  receivers: z.array(z.string().max(128)).max(50).default([]),
  callbackUrl: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
  enabled: z.boolean().default(true),
  /**
   * Compound strategies: conditions on other series of the same endpoint, combined with the
   * strategy's own condition by `combine` (`and` when absent). Events stay keyed by the series
   * the strategy's own metric + tags select (docs/strategy-language.md#compound-conditions).
   */
  also: z.array(ExtraCondition).min(1).max(MAX_EXTRA_CONDITIONS).optional(),
  combine: z.enum(['and', 'or']).optional(),
})

function checkHits(s: { fn: string; window: string; hits?: number | undefined }, ctx: z.RefinementCtx): void {
  if (s.fn === 'lookup') {
    const n = s.window.startsWith('#') ? Number(s.window.slice(1)) : undefined
    if (s.hits === undefined)
      ctx.addIssue({ code: 'custom', path: ['hits'], message: 'lookup needs hits (M of N)' })
    else if (n !== undefined && s.hits > n)
      ctx.addIssue({ code: 'custom', path: ['hits'], message: 'hits cannot exceed the window' })
  } else if (s.hits !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['hits'], message: 'hits is only for lookup' })
  }
}

function checkStrategy(
  s: {
    fn: string
    window: string
    hits?: number | undefined
    also?: unknown[] | undefined
    combine?: string | undefined
  },
  ctx: z.RefinementCtx,
): void {
  checkHits(s, ctx)
  if (s.combine !== undefined && s.also === undefined)
    ctx.addIssue({ code: 'custom', path: ['combine'], message: 'combine needs extra conditions (also)' })
}

/** What ops write: everything but the identity the server assigns. */
export const StrategySpec = StrategyFields.superRefine(checkStrategy)
export type StrategySpec = z.infer<typeof StrategySpec>

/** A strategy to try (evaluate, backtest): a StrategySpec whose name may be left out. */
export const TrialStrategySpec = StrategyFields.extend({
  name: StrategyFields.shape.name.default('trial'),
}).superRefine(checkStrategy)

/**
 * A stored strategy: bound to a tree node (applies to the node's hosts and below), or an
 * expression (node null) that selects series by metric + tags across all endpoints.
 */
export const Strategy = StrategyFields.extend({ id: z.string(), node: z.string().nullable() }).superRefine(
  checkStrategy,
)
export type Strategy = z.infer<typeof Strategy>
