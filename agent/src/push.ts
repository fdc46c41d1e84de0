import {
  alignTimestamp,
  canonicalTags,
  FalconPointSchema,
  type SeriesDef,
  seriesProblem,
  TIMESTAMP_RULE,
  toFiniteNumber,
} from '@peregrine/common/schema'
import type { SeriesDefinitions } from './definitions.ts'

export interface PointError {
  index: number
  field: string
  error: string
}

export interface AcceptedPoint {
  series: SeriesDef
  ts: number
  value: number
}

/** Most points one push request may carry. */
export const MAX_PUSH_POINTS = 10_000

/**
 * Checks an Open-Falcon push body point by point: good points are returned for sending, bad
 * ones are described by index and field so the sender can fix them.
 */
export function checkPush(
  body: unknown,
  now: number,
  definitions: SeriesDefinitions,
  /** Unix seconds of the oldest point storage would keep. */
  oldest = 0,
): { accepted: AcceptedPoint[]; errors: PointError[] } {
  const accepted: AcceptedPoint[] = []
  const errors: PointError[] = []
  if (!Array.isArray(body)) {
    errors.push({ index: -1, field: 'body', error: 'expected a JSON array of points' })
    return { accepted, errors }
  }
  if (body.length > MAX_PUSH_POINTS) {
    errors.push({ index: -1, field: 'body', error: `at most ${MAX_PUSH_POINTS} points per request` })
    return { accepted, errors }
  }
  for (const [index, item] of body.entries()) {
    const r = checkPoint(item, now, oldest)
    const redefined = 'field' in r ? null : definitions.conflict(r.series)
    if ('field' in r) errors.push({ index, ...r })
    else if (redefined) errors.push({ index, field: redefined, error: definitions.describe(r.series) })
    else accepted.push(r)
  }
  return { accepted, errors }
}

function checkPoint(
  item: unknown,
  now: number,
  oldest: number,
): AcceptedPoint | { field: string; error: string } {
  const parsed = FalconPointSchema.safeParse(item)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { field: String(issue?.path[0] ?? 'point'), error: issue?.message ?? 'invalid point' }
  }
  const p = parsed.data
  const tags = canonicalTags(p.tags)
  if (tags === null) return { field: 'tags', error: 'tags must be k=v pairs separated by commas' }
  const series = { endpoint: p.endpoint, metric: p.metric, tags, counterType: p.counterType, step: p.step }
  const problem = seriesProblem(series)
  if (problem) return problem
  const value = toFiniteNumber(p.value)
  if (value === null) return { field: 'value', error: 'value must be a finite number' }
  const ts = alignTimestamp(p.timestamp, p.step, now, oldest)
  if (ts < 0) return { field: 'timestamp', error: TIMESTAMP_RULE }
  return { series: series as SeriesDef, ts, value }
}
