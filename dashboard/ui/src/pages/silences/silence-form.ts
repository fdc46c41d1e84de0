import { SilenceCreate } from '@peregrine/common/api/silences'
import type { z } from 'zod'
import type { FieldErrors } from '../../forms/use-checked-form.ts'
import { formatLocal, parseLocal } from '../../time/range.ts'
import type { SilenceView } from '../alarms/alarm-types.ts'
import { DEFAULT_HOURS, type Prefill } from './prefill.ts'

/** The silence editor's inputs, as typed: the API's body is made from them (bodyOf). */
export interface SilenceForm {
  name: string
  node: string
  /** Host names separated by commas, spaces or lines. */
  hosts: string
  strategy: string
  metric: string
  tags: string
  priorities: number[]
  kind: 'once' | 'weekly'
  /** `datetime-local` values: the once range, and the weeks a weekly one is in force (optional). */
  from: string
  to: string
  weeklyFrom: string
  until: string
  days: number[]
  start: string
  end: string
  timeZone: string
  reason: string
}

export type SilenceBody = z.output<typeof SilenceCreate>

export const HOUR = 3600

/** A `datetime-local` value for unix seconds, on the browser's clock. */
export const localInput = (seconds: number) => formatLocal(seconds).replace(' ', 'T')

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone

/** A new silence: now for `hours`, weekly fields ready should the user switch to a weekly window. */
export function newForm(p: Prefill, now: number): SilenceForm {
  return {
    name: '',
    node: p.node ?? '',
    hosts: p.hosts?.join(', ') ?? '',
    strategy: p.strategy ?? '',
    metric: p.metric ?? '',
    tags: p.tags ?? '',
    priorities: p.priorities ?? [],
    kind: 'once',
    from: localInput(now),
    to: localInput(now + (p.hours ?? DEFAULT_HOURS) * HOUR),
    weeklyFrom: '',
    until: '',
    days: [],
    start: '22:00',
    end: '02:00',
    timeZone: browserZone(),
    reason: '',
  }
}

/** The inputs of a stored silence, to change it. */
export function formOf(s: SilenceView, now: number): SilenceForm {
  const base = newForm({}, now)
  const m = s.match
  const sc = s.schedule
  return {
    ...base,
    name: s.name ?? '',
    node: m.node ?? '',
    hosts: m.hosts?.join(', ') ?? '',
    strategy: m.strategy ?? '',
    metric: m.metric ?? '',
    tags: m.tags ?? '',
    priorities: m.priorities ?? [],
    reason: s.reason,
    ...(sc.kind === 'once'
      ? { kind: 'once', from: localInput(sc.from), to: localInput(sc.to) }
      : {
          kind: 'weekly',
          days: sc.days,
          start: sc.start,
          end: sc.end,
          timeZone: sc.timeZone,
          weeklyFrom: sc.from === undefined ? '' : localInput(sc.from),
          until: sc.until === undefined ? '' : localInput(sc.until),
        }),
  }
}

const splitHosts = (text: string) => text.split(/[\s,]+/).filter(Boolean)
const text = (v: string) => v.trim() || undefined
const list = <T>(v: T[]) => (v.length ? v : undefined)
/** JSON leaves undefined out anyway; leaving it out here keeps what is checked what is sent. */
const defined = <T extends object>(o: T) =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T

/**
 * The body the API takes, from the inputs, and what is wrong with it: the API's own schema
 * (SilenceCreate), times that are not times, and an end already past (the server refuses it).
 */
export function checkSilence(f: SilenceForm, now: number): { body: unknown; errors: FieldErrors } {
  // By the field's dotted path in the body (`match.hosts`, `schedule.to`, `match`: none given).
  const errors: Record<string, string> = {}
  const time = (input: string, key: string, required: boolean) => {
    if (!input.trim()) {
      if (required) errors[key] = 'a date and time'
      return undefined
    }
    const t = parseLocal(input)
    if (t === null) errors[key] = 'a date and time'
    return t ?? undefined
  }
  const match = defined({
    node: text(f.node),
    hosts: list(splitHosts(f.hosts)),
    strategy: text(f.strategy),
    metric: text(f.metric),
    tags: text(f.tags),
    priorities: list([...f.priorities].sort((a, b) => a - b)),
  })
  const schedule =
    f.kind === 'once'
      ? { kind: 'once', from: time(f.from, 'schedule.from', true), to: time(f.to, 'schedule.to', true) }
      : defined({
          kind: 'weekly',
          days: [...f.days].sort((a, b) => a - b),
          start: f.start,
          end: f.end,
          timeZone: f.timeZone.trim(),
          from: time(f.weeklyFrom, 'schedule.from', false),
          until: time(f.until, 'schedule.until', false),
        })
  if (f.kind === 'weekly' && !f.days.length) errors['schedule.days'] = 'pick at least one day'
  const body = defined({ name: text(f.name), match, schedule, reason: f.reason })

  const parsed = SilenceCreate.safeParse(body)
  for (const issue of parsed.error?.issues ?? []) {
    const key = fieldKey(issue.path)
    errors[key] ??= issue.message
  }
  const [endKey, end] = 'to' in schedule ? ['schedule.to', schedule.to] : ['schedule.until', schedule.until]
  if (end !== undefined && end <= now) errors[endKey] ??= 'already over'
  return { body, errors }
}

/** `match.hosts.3` → `match.hosts`: a field, not an item of it, is what the form shows. */
export function fieldKey(path: readonly PropertyKey[] | string): string {
  const parts = typeof path === 'string' ? path.split('.') : path.map(String)
  return parts.filter((p) => !/^\d+$/.test(p)).join('.')
}
