import { TeamWrite } from '@peregrine/common/api/config'
import { useSession } from '../../session.tsx'
import type { TeamView } from './admin-types.ts'
import { TextField } from './Field.tsx'
import { NamedFormCard, namedRecords } from './named.tsx'
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

export function TeamForm(props: FormProps<TeamView>) {
  const { record } = props
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
    <NamedFormCard {...props} plural="teams" form={form}>
      <TextField
        form={form}
        name="members"
        label="Members"
        hint="user names, separated by commas"
        multiline
      />
      <TextField form={form} name="note" label="Note" multiline />
    </NamedFormCard>
  )
}
