/**
 * The judge's evaluator (`@peregrine/common/judge`): strategies applied to points, PROBLEM/OK
 * events out, no I/O. The judge service, the API (evaluate, backtest) and tests share it.
 * Pure like `./schema`: zod and nothing else, no Node built-in. docs/strategy-language.md says
 * what it does, for ops.
 */
export { type ActiveWindow, inActiveWindow, parseActiveWindow, ZoneClock } from './active-window.ts'
export {
  type CompiledStrategy,
  type Condition,
  capacityFor,
  compileStrategy,
  type JudgedStrategy,
  MAX_WINDOW_VALUES,
} from './conditions.ts'
export {
  type EvaluatedSeries,
  type EvaluatePointsOptions,
  type EvaluatePointsResult,
  evaluatePoints,
  type PointValue,
} from './evaluate-points.ts'
export { Evaluator, type EvaluatorOptions, type SeriesHandle, type VerdictRecord } from './evaluator.ts'
export { type EventKind, type EventStatus, eventId, type JudgeEvent } from './events.ts'
export { DEFAULT_FLAPPING, type FlappingRule } from './flapping.ts'
export { EQUALITY_TOLERANCE, evaluateCondition, newVerdict, satisfies, type Verdict } from './functions.ts'
export { History } from './history.ts'
export {
  type EventKey,
  EventKeySchema,
  eventKeyText,
  type JudgeSnapshot,
  JudgeSnapshotSchema,
  type StateChanges,
  type StoredEventState,
  StoredEventStateSchema,
} from './state.ts'
