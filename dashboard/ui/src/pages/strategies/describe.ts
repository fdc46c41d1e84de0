import type { StrategyView } from '../../types.ts'

type Condition = Pick<StrategyView, 'metric' | 'tags' | 'fn' | 'window' | 'hits' | 'operator' | 'threshold'>

/** `metric{tags} fn(window) op threshold`, as the strategy language writes a condition. */
export function conditionText(c: Condition): string {
  const series = c.tags ? `${c.metric}{${c.tags}}` : c.metric
  const window = c.fn === 'lookup' ? `${c.window}, hits ${c.hits ?? '?'}` : c.window
  const comparison = c.fn === 'stddev' ? `outside ±${c.threshold}σ` : `${c.operator} ${c.threshold}`
  return `${series} ${c.fn}(${window}) ${comparison}`
}

/** The strategy's condition and its extra ones, joined as they combine. */
export function strategyText(s: Condition & Pick<StrategyView, 'also' | 'combine'>): string {
  const joiner = ` ${s.combine ?? 'and'} `
  return [s, ...(s.also ?? [])].map(conditionText).join(joiner)
}
