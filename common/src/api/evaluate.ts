import { z } from 'zod'
import { EVENT_KINDS, EVENT_STATUSES } from '../model/event.ts'
import { MAX_EXTRA_CONDITIONS, TimeZone, TrialStrategySpec } from '../model/strategy.ts'
import { NodePath } from '../model/tree.ts'
import { COUNTER_TYPES, MAX_ENDPOINT, MAX_STEP } from '../points.ts'

/**
 * Bodies and answers of `POST /api/v1/strategies/evaluate` (a strategy over points given) and
 * `POST /api/v1/strategies/backtest` (a strategy over stored history): docs/api.md.
 */

/** Points an evaluate request may carry, its own and its extra conditions' together. */
export const MAX_EVALUATE_POINTS = 100_000
/** The longest backtest range, to − from. */
export const MAX_BACKTEST_SECONDS = 7 * 86_400
/** Series a backtest evaluates at most (the strategy's own; as many again per extra condition). */
export const MAX_BACKTEST_SERIES = 500
/** Stored points a backtest may read, estimated from the series' steps before reading. */
export const MAX_BACKTEST_POINTS = 2_000_000
/** Endpoints a backtest may be narrowed to by name. */
export const MAX_BACKTEST_ENDPOINTS = 1000

const unixSeconds = z.number().int().nonnegative().max(4_294_967_295)

/**
 * A strategy to try, as POST /api/v1/strategies takes it, with `name` and `node` optional. Its
 * receivers and callback are checked for shape only: nothing is sent. `enabled` is not read: a
 * disabled strategy is tried as if enabled.
 */
export const TrialStrategy = TrialStrategySpec.safeExtend({
  node: NodePath.nullable().default(null),
}).strict()

const Point = z.strictObject({
  timestamp: z
    .number()
    .nonnegative()
    .max(4_294_967_295)
    .describe('Unix seconds; aligned down to the step (ts − ts % step) like ingested points'),
  value: z.number(),
})
const Points = z.array(Point).max(MAX_EVALUATE_POINTS)
const SeriesShape = {
  counterType: z
    .enum(COUNTER_TYPES)
    .describe('COUNTER and DERIVE values are raw; they are turned into rates'),
  step: z.number().int().positive().max(MAX_STEP),
}

export const EvaluateRequest = z
  .strictObject({
    strategy: TrialStrategy,
    series: z.strictObject(SeriesShape),
    points: Points.describe(
      'In time order, as they would stream in; one not newer than the one before is ignored',
    ),
    also: z
      .array(z.strictObject({ ...SeriesShape, points: Points }))
      .max(MAX_EXTRA_CONDITIONS)
      .optional()
      .describe("The series of the strategy's extra conditions: one entry per condition, in order"),
    until: unixSeconds.optional().describe('Check no data after the last point up to this time'),
    timeZone: TimeZone.optional().describe(
      'Time zone of the active window (the judge’s JUDGE_TIME_ZONE); UTC',
    ),
  })
  .superRefine((b, ctx) => {
    const conditions = b.strategy.also?.length ?? 0
    if ((b.also?.length ?? 0) !== conditions)
      ctx.addIssue({
        code: 'custom',
        path: ['also'],
        message: `the strategy has ${conditions} extra condition(s): also needs one entry (its series) for each, in order`,
      })
    const total = b.points.length + (b.also ?? []).reduce((n, a) => n + a.points.length, 0)
    if (total > MAX_EVALUATE_POINTS)
      ctx.addIssue({
        code: 'custom',
        path: ['points'],
        message: `${total} points with also's; at most ${MAX_EVALUATE_POINTS} in one request`,
      })
  })
export type EvaluateRequest = z.infer<typeof EvaluateRequest>

/** An event a strategy would raise on one series. */
export const TrialEvent = z.object({
  timestamp: z.number().describe('Unix seconds: the point that raised it (nodata: when data was due)'),
  status: z.enum(EVENT_STATUSES),
  value: z.number().nullable().describe('The value the function reported; null for nodata'),
  step: z.number().int().describe('1 for a PROBLEM and every OK; + 1 on each repeated PROBLEM'),
  kind: z.enum(EVENT_KINDS),
  flapping: z
    .boolean()
    .optional()
    .describe('Only on flapping events: true when it starts, false when it ends'),
})
export type TrialEvent = z.infer<typeof TrialEvent>

export const EvaluateResponse = z.object({
  events: z.array(TrialEvent),
  ignored: z.number().int().describe('Points not evaluated: not newer than the one before'),
})

export const BacktestRequest = z
  .strictObject({
    strategy: z
      .union([z.string().min(1).max(128), TrialStrategy])
      .describe('The id of a stored strategy, or a strategy as POST /api/v1/strategies takes it'),
    from: unixSeconds.describe('Start, unix seconds, inclusive; earlier points only fill the windows'),
    to: unixSeconds.describe(`End, unix seconds, inclusive; at most ${MAX_BACKTEST_SECONDS} s after from`),
    endpoints: z
      .array(z.string().min(1).max(MAX_ENDPOINT))
      .min(1)
      .max(MAX_BACKTEST_ENDPOINTS)
      .optional()
      .describe('Only these of the endpoints the strategy applies to'),
    verdicts: z.boolean().default(true).describe('Return every verdict taken (the values compared)'),
    timeZone: TimeZone.optional().describe(
      'Time zone of the active window (the judge’s JUDGE_TIME_ZONE); UTC',
    ),
  })
  .superRefine((b, ctx) => {
    if (b.from >= b.to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must be before to' })
    else if (b.to - b.from > MAX_BACKTEST_SECONDS)
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: `a backtest covers at most ${MAX_BACKTEST_SECONDS} s (7 days) from from`,
      })
  })
export type BacktestRequest = z.infer<typeof BacktestRequest>

export const BacktestSeries = z.object({
  endpoint: z.string(),
  metric: z.string(),
  tags: z.string(),
  counterType: z.enum(COUNTER_TYPES),
  step: z.number(),
  events: z.array(TrialEvent),
  verdicts: z
    .object({
      timestamps: z.array(z.number()),
      values: z.array(z.number().nullable()).describe('The value the function reported (null: none)'),
      truth: z
        .array(z.boolean().nullable())
        .describe('The condition (compound: combined); null: too few points, or an unknown side'),
    })
    .optional()
    .describe('Every verdict taken, as columns: timestamps[i] goes with values[i] and truth[i]'),
})
export type BacktestSeries = z.infer<typeof BacktestSeries>

export const BacktestResponse = z.object({
  from: z.number(),
  to: z.number(),
  strategy: z.string().nullable().describe('The stored strategy’s id; null for one given in the body'),
  series: z.array(BacktestSeries),
  truncated: z.boolean().describe(`More series matched than the ${MAX_BACKTEST_SERIES} evaluated`),
})
