import { type ReactNode, useState } from 'react'
import { type Api, seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import { ConfirmButton } from './ConfirmButton.tsx'

export interface Column<T> {
  header: string
  cell(row: T): ReactNode
}

/** What a record's form gets: the record to edit (none: a new one) and where to go after. */
export interface FormProps<T> {
  record?: T
  onSaved(): void
  onCancel(): void
}

type Named = { name: string; revision: number }

/** Creates (no revision) or updates (the revision read) a user or team: one PUT by name. */
export const saveNamed = (api: Api, plural: string, body: { name: string }) =>
  api.put<Named>(`/api/v1/${plural}/${seg(body.name)}`, body).then(() => undefined)

/**
 * Users and teams: listed to every admin, changed only by whole-tree admins (they belong to no
 * subtree). One form at a time, above the list, for a new record or the one being edited.
 */
export function NamedTab<T extends Named>(props: {
  plural: 'users' | 'teams'
  kind: string
  columns: Column<T>[]
  Form(p: FormProps<T>): ReactNode
  note?: ReactNode
}) {
  const { plural, kind, Form } = props
  const { api, can } = useSession()
  const editable = can('admin', '')
  const list = useApi(
    (a, signal) => a.get<Record<string, T[]>>(`/api/v1/${plural}`, undefined, signal),
    [plural],
  )
  const rows = list.data?.[plural] ?? []
  const [editing, setEditing] = useState<{ record?: T } | null>(null)
  const close = () => {
    setEditing(null)
    list.reload()
  }
  return (
    <div className="stack">
      {props.note}
      {editable && !editing && (
        <div>
          <button type="button" className="primary" onClick={() => setEditing({})}>
            New {kind}
          </button>
        </div>
      )}
      {editing && (
        <Form key={editing.record?.name ?? ''} record={editing.record} onSaved={close} onCancel={close} />
      )}
      <ErrorNote error={list.error} />
      <table aria-label={plural[0]!.toUpperCase() + plural.slice(1)}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.header}>{c.header}</th>
            ))}
            {editable && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              {props.columns.map((c) => (
                <td key={c.header}>{c.cell(row)}</td>
              ))}
              {editable && (
                <td className="actions">
                  <button
                    type="button"
                    aria-label={`Edit ${kind} ${row.name}`}
                    onClick={() => setEditing({ record: row })}
                  >
                    Edit
                  </button>
                  <ConfirmButton
                    label="Delete"
                    name={`Delete ${kind} ${row.name}`}
                    question={`Delete ${kind} ${row.name}?`}
                    action={() =>
                      api.delete(`/api/v1/${plural}/${seg(row.name)}`, { revision: row.revision })
                    }
                    onSettled={list.reload}
                  />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && rows.length === 0 && <p className="muted">No {kind} yet.</p>}
    </div>
  )
}
