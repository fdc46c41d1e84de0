import type { EscalationEntry, ScreenEntry, SilenceEntry, StrategyEntry } from './format.ts'
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

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
const utc = (seconds: number) => `${new Date(seconds * 1000).toISOString().slice(0, 16)}Z`

/** `weekly Sun,Sat 22:00–02:00 Europe/Berlin`, or `once 2026-01-05T03:30Z–2026-01-05T05:00Z`. */
export function scheduleText(s: SilenceEntry['schedule']): string {
  if (s.kind === 'once') return `once ${utc(s.from)}–${utc(s.to)}`
  const bounds = [
    s.from === undefined ? '' : ` from ${utc(s.from)}`,
    s.until === undefined ? '' : ` until ${utc(s.until)}`,
  ]
  return `weekly ${s.days.map((d) => DAYS[d]).join(',')} ${s.start}–${s.end} ${s.timeZone}${bounds.join('')}`
}

/** `600s web-oncall, 1800s web-leads+sre`. */
export function stepsText(steps: EscalationEntry['steps']): string {
  return steps.map((s) => `${s.afterSeconds}s ${s.teams.join('+')}`).join(', ')
}

/** `2 charts: CPU, Memory` (titles shortened), or `no charts`. */
export function chartsText(charts: ScreenEntry['charts']): string {
  if (!charts.length) return 'no charts'
  const titles = charts.map((c) => c.title).join(', ')
  const head = `${charts.length} chart${charts.length === 1 ? '' : 's'}`
  return `${head}: ${titles.length > 60 ? `${titles.slice(0, 59)}…` : titles}`
}

/** A changed field's value: schedules, steps and charts as text people read, the rest as short JSON. */
function fieldText(field: string, v: unknown): string {
  if (v !== undefined && field === 'schedule') return scheduleText(v as SilenceEntry['schedule'])
  if (v !== undefined && field === 'steps') return stepsText(v as EscalationEntry['steps'])
  if (v !== undefined && field === 'charts') return chartsText(v as ScreenEntry['charts'])
  return formatValue(v)
}

/**
 * What a created item is, after its key: a strategy's condition, a silence's schedule, a policy's
 * steps, a screen's charts.
 */
function summary(c: Change & { op: 'create' }): string | null {
  if (c.kind === 'strategy') return condition(c.after)
  if (c.kind === 'silence') return scheduleText(c.after.schedule)
  if (c.kind === 'escalation') return stepsText(c.after.steps)
  if (c.kind === 'screen') return chartsText(c.after.charts)
  return null
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
    return `${head}: ${c.fields.map((f) => `${f} ${fieldText(f, before[f])} → ${fieldText(f, after[f])}`).join(', ')}`
  }
  const what = c.op === 'create' ? summary(c) : null
  return what === null ? head : `${head}: ${what}`
}

export function summaryLine(s: Summary): string {
  if (s.create + s.update + s.delete === 0) return 'No changes: the server matches the file.'
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`
}

/** The human-readable plan: one line per change, the file's silences that are over, then the summary. */
export function renderPlan(p: Plan): string {
  const over = p.over.map((name) => `(silence ${name} is over: not applied; remove it from the file)`)
  return [...p.changes.map((c) => describeChange(c)), ...over, summaryLine(summarize(p))].join('\n')
}
