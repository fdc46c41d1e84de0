import { TeamWrite } from '@peregrine/common/api/config'
import { useSession } from '../../session.tsx'
import type { TeamView } from './admin-types.ts'
import { TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import { namedRecords, saveNamed } from './named.ts'
import { type FormProps, RecordsTab } from './RecordsTab.tsx'
import { useForm } from './use-form.ts'

/** Teams: who is notified together; subscriptions and strategies' receivers name them. */
export default function TeamsTab() {
  const { can } = useSession()
  return (
    <RecordsTab<TeamView>
      {...namedRecords<TeamView>('teams', can('admin', ''))}
      title="Teams"
      kind="team"
      Form={TeamForm}
      columns={[
        { header: 'Name', cell: (t) => t.name },
        { header: 'Members', cell: (t) => t.members.join(', ') || <span className="muted">none</span> },
        { header: 'Note', cell: (t) => t.note },
      ]}
    />
  )
}

/** Members as typed: names separated by commas, spaces or lines. */
const memberList = (text: string) => text.split(/[\s,]+/).filter(Boolean)

export function TeamForm({ record, onSaved, onCancel }: FormProps<TeamView>) {
  const { api } = useSession()
  const form = useForm({
    initial: {
      name: record?.name ?? '',
      members: record?.members.join(', ') ?? '',
      note: record?.note ?? '',
    },
    toBody: (v) => ({
      name: v.name,
      members: memberList(v.members),
      note: v.note,
      revision: record?.revision,
    }),
    schema: TeamWrite,
  })
  return (
    <FormCard
      title={record ? `Edit team ${record.name}` : 'New team'}
      submitLabel={record ? 'Save team' : 'Create team'}
      form={form}
      onSubmit={() => form.submit((body) => saveNamed(api, 'teams', body).then(onSaved))}
      onCancel={onCancel}
    >
      <TextField form={form} name="name" label="Name" disabled={record !== undefined} autoComplete="off" />
      <TextField
        form={form}
        name="members"
        label="Members"
        hint="user names, separated by commas"
        multiline
      />
      <TextField form={form} name="note" label="Note" multiline />
    </FormCard>
  )
}
