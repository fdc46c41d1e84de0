import { SubscriptionCreate, SubscriptionUpdate } from '@peregrine/common/api/config'
import { useId } from 'react'
import { seg } from '../../api.ts'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { SubscriptionView, TeamView } from './admin-types.ts'
import { Field, TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import type { FormProps } from './RecordsTab.tsx'
import { type Form, useForm } from './use-form.ts'
import { scopeError, useScopedPaths } from './use-scoped-paths.ts'

const PRIORITIES = [0, 1, 2, 3, 4, 5, 6] as const

type Values = { team: string; node: string; priorities: number[] }

/** A team's subscription to a subtree, for some priorities (P0 the highest). */
export function SubscriptionForm({
  record,
  onSaved,
  onCancel,
}: FormProps<SubscriptionView & { node: string }>) {
  const { api, me } = useSession()
  const paths = useScopedPaths()
  const pathsId = useId()
  const teams = useApi((a, signal) => a.get<{ teams: TeamView[] }>('/api/v1/teams', undefined, signal), [])
  const form = useForm({
    initial: {
      team: record?.team ?? '',
      node: record?.node ?? me.scope,
      priorities: record?.priorities ?? [...PRIORITIES],
    } as Values,
    toBody: (v) => ({ ...v, ...(record && { revision: record.revision }) }),
    schema: record ? SubscriptionUpdate : SubscriptionCreate,
    check: (v) => {
      const errors: Record<string, string> = {}
      if (!v.team) errors.team = 'choose a team'
      const outside = scopeError(v.node, me.scope)
      if (outside) errors.node = outside
      if (v.priorities.length === 0) errors.priorities = 'choose at least one priority'
      return errors
    },
  })
  const toggle = (p: number) =>
    form.set(
      'priorities',
      form.values.priorities.includes(p)
        ? form.values.priorities.filter((x) => x !== p)
        : [...form.values.priorities, p].sort((a, b) => a - b),
    )
  const save = (body: Values) =>
    (record
      ? api.put(`/api/v1/subscriptions/${seg(record.id)}`, body)
      : api.post('/api/v1/subscriptions', body)
    ).then(onSaved)
  return (
    <FormCard
      title={record ? `Edit subscription of ${record.team} to ${record.node}` : 'New subscription'}
      submitLabel={record ? 'Save subscription' : 'Subscribe'}
      busy={form.busy}
      failure={form.failure}
      onSubmit={() => form.submit(save)}
      onCancel={onCancel}
    >
      <Field form={form} name="team" label="Team">
        {(control) => (
          <select {...control} value={form.values.team} onChange={(e) => form.set('team', e.target.value)}>
            <option value="">Choose…</option>
            {teams.data?.teams.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        )}
      </Field>
      <TextField form={form} name="node" label="Subtree" list={pathsId} autoComplete="off" />
      <datalist id={pathsId}>
        {paths.map((p) => (
          <option key={p} value={p} />
        ))}
      </datalist>
      <PriorityChoice form={form} toggle={toggle} />
    </FormCard>
  )
}

/** One checkbox per priority; the field's message below them all. */
function PriorityChoice({ form, toggle }: { form: Form<Values, Values>; toggle(p: number): void }) {
  const errorId = useId()
  const error = form.error('priorities')
  return (
    <fieldset className="priorities" aria-describedby={error ? errorId : undefined}>
      <legend>Priorities</legend>
      {PRIORITIES.map((p) => (
        <label key={p} className="check">
          <input type="checkbox" checked={form.values.priorities.includes(p)} onChange={() => toggle(p)} />P
          {p}
        </label>
      ))}
      {error && (
        <span id={errorId} className="field-error">
          {error}
        </span>
      )}
    </fieldset>
  )
}
