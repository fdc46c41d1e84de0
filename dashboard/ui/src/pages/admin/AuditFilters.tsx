import { useSearchParams } from 'react-router'
import { z } from 'zod'
import { Field } from '../../forms/Field.tsx'
import { formatLocal, parseLocal } from '../../time/range.ts'
import { TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import { useForm } from './use-form.ts'

export const FILTER_KEYS = ['kind', 'id', 'actor', 'from', 'to', 'limit'] as const

/** What the API records changes of, to suggest in the Kind field. */
const KINDS = [
  'tree',
  'host',
  'strategy',
  'user',
  'team',
  'subscription',
  'token',
  'silence',
  'inhibition',
  'escalation',
  'ack',
]
const LIMITS = ['100', '500', '1000']

/*
 * The server's AuditQuery rules that a person can break in this form. AuditQuery itself is not
 * imported at run time: its module brings the NATS client along.
 */
const Filters = z
  .object({
    kind: z.string().max(64).optional(),
    id: z.string().max(1024).optional(),
    actor: z.string().max(256).optional(),
    from: z.number({ error: 'a date and time' }).optional(),
    to: z.number({ error: 'a date and time' }).optional(),
  })
  // On both ends: the message shows beside whichever the user just set.
  .superRefine((q, ctx) => {
    if (q.from === undefined || q.to === undefined || q.from <= q.to) return
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must not be after to' })
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must not be before from' })
  })

/**
 * A datetime-local input's value for unix seconds from the URL (to the second, so a search run
 * again keeps its ends), and back.
 */
function toInput(seconds: string | null): string {
  if (!seconds) return ''
  const s = new Date(Number(seconds) * 1000).getSeconds()
  return `${formatLocal(Number(seconds)).replace(' ', 'T')}:${String(s).padStart(2, '0')}`
}
const fromInput = (text: string) => (text ? (parseLocal(text) ?? Number.NaN) : undefined)

/** The audit search, read from and written to the URL. */
export function AuditFilters() {
  const [params, setParams] = useSearchParams()
  const form = useForm({
    initial: {
      kind: params.get('kind') ?? '',
      id: params.get('id') ?? '',
      actor: params.get('actor') ?? '',
      from: toInput(params.get('from')),
      to: toInput(params.get('to')),
      limit: params.get('limit') ?? LIMITS[0]!,
    },
    toBody: (v) => ({
      kind: v.kind || undefined,
      id: v.id || undefined,
      actor: v.actor || undefined,
      from: fromInput(v.from),
      to: fromInput(v.to),
    }),
    schema: Filters,
  })
  const apply = (body: z.infer<typeof Filters>) => {
    const next = new URLSearchParams()
    for (const [k, v] of Object.entries({ ...body, limit: form.values.limit }))
      if (v !== undefined && v !== '') next.set(k, String(v))
    setParams(next)
    return Promise.resolve()
  }
  return (
    <FormCard title="Search" submitLabel="Search" form={form} onSubmit={() => form.submit(apply)}>
      <TextField form={form} name="kind" label="Kind" suggestions={KINDS} size={12} />
      <TextField form={form} name="id" label="Id" hint="tree path, host, name or id" />
      <TextField form={form} name="actor" label="Actor" hint="token name" size={14} />
      <TextField form={form} name="from" label="From" type="datetime-local" step={1} />
      <TextField form={form} name="to" label="To" type="datetime-local" step={1} />
      <Field label="At most" error={form.error('limit')}>
        {(control) => (
          <select {...control} value={form.values.limit} onChange={(e) => form.set('limit', e.target.value)}>
            {LIMITS.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        )}
      </Field>
    </FormCard>
  )
}
