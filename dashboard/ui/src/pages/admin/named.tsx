import type { ReactNode } from 'react'
import { type Api, seg } from '../../api.ts'
import { useSession } from '../../session.tsx'
import { TextField } from './Field.tsx'
import { FormCard } from './FormCard.tsx'
import type { FormProps } from './RecordsTab.tsx'
import type { Form } from './use-form.ts'

type Plural = 'users' | 'teams'

/**
 * What RecordsTab needs for users or teams. They belong to no subtree: listed to every token,
 * changed by whole-tree admins only, each known by its name.
 */
export const namedRecords = <T extends { name: string }>(plural: Plural, wholeTreeAdmin: boolean) => ({
  load: (api: Api, signal: AbortSignal) =>
    api.get<Record<string, T[]>>(`/api/v1/${plural}`, undefined, signal).then((r) => r[plural] ?? []),
  rowKey: (row: T) => row.name,
  describe: (row: T) => row.name,
  canCreate: wholeTreeAdmin,
  canChange: () => wholeTreeAdmin,
  deletePath: (row: T) => `/api/v1/${plural}/${seg(row.name)}`,
})

/**
 * The form of a user or a team: its name (fixed once it exists: the name is its key), the fields
 * of its kind, and a save by name: one PUT, which creates (no revision) or updates (the revision read).
 */
export function NamedFormCard(
  props: FormProps<{ name: string }> & {
    plural: Plural
    /** Of a record known by its name: the body's name is the one saved. */
    form: Form<{ name: string }, { name: string }>
    children: ReactNode
  },
) {
  const { api } = useSession()
  const { record, form } = props
  const kind = props.plural.slice(0, -1)
  const save = (body: { name: string }) =>
    api.put(`/api/v1/${props.plural}/${seg(body.name)}`, body).then(props.onSaved)
  return (
    <FormCard
      title={record ? `Edit ${kind} ${record.name}` : `New ${kind}`}
      submitLabel={record ? `Save ${kind}` : `Create ${kind}`}
      form={form}
      onSubmit={() => form.submit(save)}
      onCancel={props.onCancel}
    >
      <TextField form={form} name="name" label="Name" disabled={record !== undefined} autoComplete="off" />
      {props.children}
    </FormCard>
  )
}
