import { SubscriptionCreate, SubscriptionUpdate } from '@peregrine/common/api/config'
import { PRIORITIES } from '@peregrine/common/model/strategy'
import { seg } from '../../api.ts'
import { Checkboxes } from '../../forms/Checkboxes.tsx'
import { Field } from '../../forms/Field.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { SubscriptionView, TeamView } from './admin-types.ts'
import { TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import type { FormProps } from './RecordsTab.tsx'
import { useForm } from './use-form.ts'
import { scopeError, useScopedPaths } from './use-scoped-paths.ts'

const PRIORITY_OPTIONS = PRIORITIES.map((p) => ({ value: p, label: `P${p}` }))

type Values = { team: string; node: string; priorities: number[] }

/** A team's subscription to a subtree, for some priorities (P0 the highest). */
export function SubscriptionForm({
  record,
  onSaved,
  onCancel,
}: FormProps<SubscriptionView & { node: string }>) {
  const { api, me } = useSession()
  const paths = useScopedPaths()
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
  const save = (body: Values) =>
    (record
      ? api.put(`/api/v1/subscriptions/${seg(record.id)}`, body)
      : api.post('/api/v1/subscriptions', body)
    ).then(onSaved)
  return (
    <FormCard
      title={record ? `Edit subscription of ${record.team} to ${record.node}` : 'New subscription'}
      submitLabel={record ? 'Save subscription' : 'Subscribe'}
      form={form}
      onSubmit={() => form.submit(save)}
      onCancel={onCancel}
    >
      <Field label="Team" error={form.error('team')}>
        {(control) => (
          <select {...control} value={form.values.team} onChange={(e) => form.set('team', e.target.value)}>
            <option value="">Choose…</option>
            {teams.data?.teams.map((t) => (
              <option key={t.name}>{t.name}</option>
            ))}
          </select>
        )}
      </Field>
      <TextField form={form} name="node" label="Subtree" suggestions={paths} autoComplete="off" />
      <Checkboxes
        legend="Priorities"
        options={PRIORITY_OPTIONS}
        chosen={form.values.priorities}
        onChange={(chosen) =>
          form.set(
            'priorities',
            chosen.sort((a, b) => a - b),
          )
        }
        error={form.error('priorities')}
      />
    </FormCard>
  )
}
