import { UserWrite } from '@peregrine/common/api/config'
import { useSession } from '../../session.tsx'
import type { UserView } from './admin-types.ts'
import { TextField } from './Field.tsx'
import { NamedFormCard, namedRecords } from './named.tsx'
import { type Column, type FormProps, RecordsTab } from './RecordsTab.tsx'
import { useForm } from './use-form.ts'

/** An IM webhook is itself a secret: the list shows where it goes, the form the whole address. */
const webhookSite = (url: string | undefined) => {
  if (!url) return ''
  try {
    return `${new URL(url).origin}/…`
  } catch {
    return '…'
  }
}

const NAME: Column<UserView> = { header: 'Name', cell: (u) => u.name }
const CONTACT: Column<UserView>[] = [
  { header: 'Email', cell: (u) => u.email },
  { header: 'Phone', cell: (u) => u.phone },
  { header: 'IM webhook', cell: (u) => webhookSite(u.imWebhook) },
]

/** People to notify. Contact details reach whole-tree admins only: others see the names. */
export default function UsersTab() {
  const { can } = useSession()
  const wholeTree = can('admin', '')
  return (
    <RecordsTab<UserView>
      {...namedRecords<UserView>('users', wholeTree)}
      title="Users"
      kind="user"
      Form={UserForm}
      columns={wholeTree ? [NAME, ...CONTACT] : [NAME]}
      note={
        !wholeTree && (
          <p className="muted">Contact details, and changes to users, are for admins of the whole tree.</p>
        )
      }
    />
  )
}

/** An optional field left empty is left out: the user has no such contact. */
const optional = (text: string) => text.trim() || undefined

export function UserForm(props: FormProps<UserView>) {
  const { record } = props
  const form = useForm({
    initial: {
      name: record?.name ?? '',
      email: record?.email ?? '',
      phone: record?.phone ?? '',
      imWebhook: record?.imWebhook ?? '',
    },
    toBody: (v) => ({
      name: v.name,
      email: optional(v.email),
      phone: optional(v.phone),
      imWebhook: optional(v.imWebhook),
      revision: record?.revision,
    }),
    schema: UserWrite,
  })
  return (
    <NamedFormCard {...props} plural="users" form={form}>
      <TextField form={form} name="email" label="Email" type="email" autoComplete="off" />
      <TextField form={form} name="phone" label="Phone" type="tel" autoComplete="off" />
      <TextField
        form={form}
        name="imWebhook"
        label="IM webhook"
        type="url"
        hint="the chat robot's https address"
        autoComplete="off"
        size={40}
      />
    </NamedFormCard>
  )
}
