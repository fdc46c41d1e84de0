import { createHash } from 'node:crypto'
import { eventKeyText, type JudgeEvent } from '@peregrine/common/judge'
import type { AlertEvent, Strategy } from '@peregrine/common/schema'
import { HEARTBEAT_STRATEGY } from './defaults.ts'
import type { StrategyView } from './strategy-view.ts'

type Condition = Pick<Strategy, 'metric' | 'tags' | 'fn' | 'window' | 'hits' | 'operator' | 'threshold'>

/** `all(#3) cpu.idle{mount=/} < 10`: a condition as ops write it, for messages and the event list. */
export function conditionText(c: Condition): string {
  const window = c.fn === 'lookup' ? `#${c.hits},${c.window.replace(/^#/, '')}` : c.window
  const series = c.tags === '' ? c.metric : `${c.metric}{${c.tags}}`
  return c.fn === 'stddev'
    ? `stddev(${window}) ${series} = ${c.threshold}`
    : `${c.fn}(${window}) ${series} ${c.operator} ${c.threshold}`
}

/** The whole condition of a strategy, compound or not; for no data, the nodata rule. */
export function strategyConditionText(s: Strategy, kind: JudgeEvent['kind']): string {
  if (kind === 'nodata') return `nodata(${s.nodata}) ${s.tags === '' ? s.metric : `${s.metric}{${s.tags}}`}`
  const own = conditionText(s)
  if (!s.also?.length) return own
  return [own, ...s.also.map(conditionText)].join(` ${s.combine ?? 'and'} `)
}

const hex16 = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16)

/**
 * An evaluator event as published: with what the alarm needs (receivers, callback, the condition
 * as text) and the endpoint's tree paths. Null when its strategy is gone meanwhile.
 */
export function toAlertEvent(e: JudgeEvent, view: StrategyView, now: number): AlertEvent | null {
  const s = view.strategy(e.strategy)
  if (!s) return null
  const heartbeat = e.kind === 'nodata' && s.id === HEARTBEAT_STRATEGY
  return {
    id: e.id,
    key: hex16(
      eventKeyText({
        kind: e.kind,
        strategy: e.strategy,
        endpoint: e.endpoint,
        metric: e.metric,
        tags: e.tags,
      }),
    ),
    status: e.status,
    kind: heartbeat ? 'heartbeat' : e.kind,
    step: Math.max(1, e.step),
    timestamp: e.timestamp,
    value: e.value === null || !Number.isFinite(e.value) ? null : e.value,
    flapping: e.flapping === true,
    endpoint: e.endpoint,
    metric: e.metric,
    tags: e.tags,
    strategy: {
      id: s.id,
      name: s.name,
      node: s.node,
      priority: s.priority,
      condition: strategyConditionText(s, e.kind),
      operator: s.operator,
      threshold: s.threshold,
      note: s.note,
      receivers: s.receivers,
      callbackUrl: s.callbackUrl ?? null,
    },
    paths: [...view.forEndpoint(e.endpoint).paths],
    judgedAt: now,
  }
}
