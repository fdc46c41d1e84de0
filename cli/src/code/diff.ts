import type { StrategyEntry } from './format.ts'
import { type Change, type Plan, type Summary, summarize } from './plan.ts'

const SIGN = { create: '+', update: '~', delete: '-' } as const

/** A value in a diff line: JSON, shortened; `(unset)` for an absent optional field. */
export function formatValue(v: unknown, max = 60): string {
  if (v === undefined) return '(unset)'
  const text = JSON.stringify(v)
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

type ConditionFields = Pick<
  StrategyEntry,
  'metric' | 'tags' | 'fn' | 'window' | 'hits' | 'operator' | 'threshold'
>

/** `cpu.busy{mount=/} all(#3) > 90`, and ` and load.1min avg(5m) > 8` per extra condition. */
export function condition(s: StrategyEntry): string {
  const one = (c: ConditionFields) => {
    const args = c.hits === undefined ? c.window : `${c.window},${c.hits}`
    return `${c.metric}${c.tags ? `{${c.tags}}` : ''} ${c.fn}(${args}) ${c.operator} ${c.threshold}`
  }
  return [one(s), ...(s.also ?? []).map((c) => `${s.combine ?? 'and'} ${one(c)}`)].join(' ')
}

/**
 * One line: `+ strategy corp.web/cpu-high: cpu.busy all(#3) > 90`, `~ node corp.web: note "" → "web"`,
 * `- team dba`. With `detail` false, only the sign, kind and key.
 */
export function describeChange(c: Change, detail = true): string {
  const head = `${SIGN[c.op]} ${c.kind} ${c.key}`
  if (!detail) return head
  if (c.op === 'update') {
    const before = c.before as unknown as Record<string, unknown>
    const after = c.after as unknown as Record<string, unknown>
    return `${head}: ${c.fields.map((f) => `${f} ${formatValue(before[f])} → ${formatValue(after[f])}`).join(', ')}`
  }
  if (c.op === 'create' && c.kind === 'strategy') return `${head}: ${condition(c.after)}`
  return head
}

export function summaryLine(s: Summary): string {
  if (s.create + s.update + s.delete === 0) return 'No changes: the server matches the file.'
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`
}

/** The human-readable plan: one line per change, then the summary. */
export function renderPlan(p: Plan): string {
  return [...p.changes.map((c) => describeChange(c)), summaryLine(summarize(p))].join('\n')
}
