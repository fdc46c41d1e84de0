import { StrategyCreate } from '@peregrine/common/api/config'
import { TrialStrategy } from '@peregrine/common/api/evaluate'
import { ExtraCondition, type FUNCTIONS, type OPERATORS } from '@peregrine/common/model/strategy'
import type { FieldErrors } from '../../forms/use-checked-form.ts'
import type { StrategyView } from '../../types.ts'

export type Fn = (typeof FUNCTIONS)[number]
export type Operator = (typeof OPERATORS)[number]

/** A condition as typed: text, so that what is not (yet) valid can be shown and refused. */
export interface ConditionForm {
  metric: string
  tags: string
  fn: Fn
  window: string
  hits: string
  operator: Operator
  threshold: string
}

/** A strategy as typed in the editor. Empty optional fields are left out of the body. */
export interface StrategyForm extends ConditionForm {
  name: string
  hold: string
  nodata: string
  priority: string
  maxNotifications: string
  minIntervalSeconds: string
  activeFrom: string
  activeTo: string
  note: string
  receivers: string[]
  callbackUrl: string
  enabled: boolean
  also: ConditionForm[]
  combine: '' | 'and' | 'or'
}

export const emptyCondition = (): ConditionForm => ({
  metric: '',
  tags: '',
  fn: 'all',
  window: '#3',
  hits: '',
  operator: '>',
  threshold: '',
})

export const emptyForm = (): StrategyForm => ({
  ...emptyCondition(),
  name: '',
  hold: '',
  nodata: '',
  priority: '3',
  maxNotifications: '3',
  minIntervalSeconds: '300',
  activeFrom: '',
  activeTo: '',
  note: '',
  receivers: [],
  callbackUrl: '',
  enabled: true,
  also: [],
  combine: '',
})

const text = (n: number | undefined) => (n === undefined ? '' : String(n))

function conditionOf(c: Omit<ConditionForm, 'hits' | 'threshold'> & { hits?: number; threshold: number }) {
  return {
    metric: c.metric,
    tags: c.tags,
    fn: c.fn,
    window: c.window,
    hits: text(c.hits),
    operator: c.operator,
    threshold: text(c.threshold),
  }
}

/** The form showing a stored strategy (to edit it, or to override it at another node). */
export function formOf(s: StrategyView): StrategyForm {
  return {
    ...conditionOf(s),
    name: s.name,
    hold: s.hold ?? '',
    nodata: s.nodata ?? '',
    priority: String(s.priority),
    maxNotifications: String(s.maxNotifications),
    minIntervalSeconds: String(s.minIntervalSeconds),
    activeFrom: s.activeWindow?.from ?? '',
    activeTo: s.activeWindow?.to ?? '',
    note: s.note,
    receivers: [...s.receivers],
    callbackUrl: s.callbackUrl ?? '',
    enabled: s.enabled,
    also: (s.also ?? []).map(conditionOf),
    combine: s.combine ?? '',
  }
}

/** A number when the text is one; other text stays text, for the schema to refuse by name. */
function numberOf(t: string): number | string | undefined {
  const trimmed = t.trim()
  if (trimmed === '') return undefined
  const n = Number(trimmed)
  return Number.isFinite(n) ? n : trimmed
}

const optional = (t: string) => (t.trim() === '' ? undefined : t.trim())

function conditionBody(c: ConditionForm) {
  return {
    metric: c.metric.trim(),
    tags: c.tags.trim(),
    fn: c.fn,
    window: c.window.trim(),
    hits: numberOf(c.hits),
    operator: c.operator,
    threshold: numberOf(c.threshold),
  }
}

/** What POST /api/v1/strategies gets for the form; fields left empty are left out (defaults apply). */
export function bodyOf(form: StrategyForm, node: string | null): Record<string, unknown> {
  const body: Record<string, unknown> = {
    node,
    name: form.name.trim(),
    ...conditionBody(form),
    hold: optional(form.hold),
    nodata: optional(form.nodata),
    priority: numberOf(form.priority),
    maxNotifications: numberOf(form.maxNotifications),
    minIntervalSeconds: numberOf(form.minIntervalSeconds),
    activeWindow:
      form.activeFrom || form.activeTo
        ? { from: optional(form.activeFrom), to: optional(form.activeTo) }
        : undefined,
    note: form.note,
    receivers: form.receivers,
    callbackUrl: optional(form.callbackUrl),
    enabled: form.enabled,
    also: form.also.length ? form.also.map(conditionBody) : undefined,
    combine: form.combine || undefined,
  }
  // Undefined would be dropped by JSON anyway; leaving it out keeps the body what is sent.
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k]
  return body
}

type Issue = {
  code: string
  path: PropertyKey[]
  message: string
  expected?: unknown
  origin?: unknown
  minimum?: unknown
}

/** The schema's message, said plainly where zod speaks of types. */
function messageOf(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'required'
  if (issue.code === 'too_small' && issue.origin === 'string' && issue.minimum === 1) return 'required'
  if (issue.code === 'invalid_type' && issue.expected === 'number') return 'a number is needed'
  return issue.message
}

/** The field an issue belongs to, dotted as the API names fields (`activeWindow.from`, `also.0.metric`). */
function fieldOf(path: readonly PropertyKey[]): string {
  // A receiver is picked, not typed: its error belongs to the whole list.
  if (path[0] === 'receivers') return 'receivers'
  return path.map(String).join('.')
}

function addErrors(out: Record<string, string>, issues: readonly Issue[], prefix: PropertyKey[] = []): void {
  for (const issue of issues) out[fieldOf([...prefix, ...issue.path])] ??= messageOf(issue)
}

const CONDITION_KEYS = ['metric', 'tags', 'fn', 'window', 'hits', 'operator', 'threshold'] as const

/**
 * The body checked by the schema the server checks it with: each field's first error. zod checks
 * an object's cross-field rules (lookup's hits) only once its fields are valid; each condition is
 * checked alone as well, so that such an error shows as soon as its own condition is complete.
 */
export function validate(body: Record<string, unknown>): FieldErrors {
  const r = StrategyCreate.safeParse(body)
  const out: Record<string, string> = {}
  if (r.success) return out
  addErrors(out, r.error.issues)
  const conditions = [body, ...((body.also as Record<string, unknown>[] | undefined) ?? [])]
  conditions.forEach((c, i) => {
    const alone = ExtraCondition.safeParse(Object.fromEntries(CONDITION_KEYS.map((k) => [k, c[k]])))
    if (!alone.success) addErrors(out, alone.error.issues, i === 0 ? [] : ['also', i - 1])
  })
  return out
}

/**
 * The strategy a preview (backtest) runs, or null while it is not valid: the body without its
 * name, which a trial does not need and which changes nothing of what it would raise.
 */
export function trialOf(body: Record<string, unknown>): Record<string, unknown> | null {
  const { name: _name, ...trial } = body
  return TrialStrategy.safeParse(trial).success ? trial : null
}
