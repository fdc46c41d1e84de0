import { type ReactNode, useState } from 'react'
import type { Api } from '../../api.ts'
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

/**
 * A list of stored records (teams, users, subscriptions) with one form at a time above it, for a
 * new record or the one being edited, and a confirmed delete with the revision read.
 */
export function RecordsTab<T extends { revision: number }>(props: {
  /** Names the table: "Teams". */
  title: string
  /** One record: "team". */
  kind: string
  load(api: Api, signal: AbortSignal): Promise<T[]>
  rowKey(row: T): string
  /** Names a row in buttons and questions: "ops", "of ops to shop.web". */
  describe(row: T): string
  columns: Column<T>[]
  canCreate: boolean
  canChange(row: T): boolean
  /** Shown instead of the buttons on a row the token may not change, when others it may. */
  unchangeable?: ReactNode
  deletePath(row: T): string
  Form(p: FormProps<T>): ReactNode
  note?: ReactNode
}) {
  const { kind, Form } = props
  const { api } = useSession()
  const list = useApi(props.load, [])
  const rows = list.data ?? []
  const actions = rows.some(props.canChange)
  const [editing, setEditing] = useState<{ record?: T } | null>(null)
  const close = () => {
    setEditing(null)
    list.reload()
  }
  return (
    <div className="stack">
      {props.note}
      {props.canCreate && !editing && (
        <div>
          <button type="button" className="primary" onClick={() => setEditing({})}>
            New {kind}
          </button>
        </div>
      )}
      {editing && (
        <Form
          key={editing.record ? props.rowKey(editing.record) : ''}
          record={editing.record}
          onSaved={close}
          onCancel={close}
        />
      )}
      <ErrorNote error={list.error} />
      <table aria-label={props.title}>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.header}>{c.header}</th>
            ))}
            {actions && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={props.rowKey(row)}>
              {props.columns.map((c) => (
                <td key={c.header}>{c.cell(row)}</td>
              ))}
              {actions && (
                <td className="actions">
                  {props.canChange(row) ? (
                    <>
                      <button
                        type="button"
                        aria-label={`Edit ${kind} ${props.describe(row)}`}
                        onClick={() => setEditing({ record: row })}
                      >
                        Edit
                      </button>
                      <ConfirmButton
                        label="Delete"
                        name={`Delete ${kind} ${props.describe(row)}`}
                        question={`Delete ${kind} ${props.describe(row)}?`}
                        action={() => api.delete(props.deletePath(row), { revision: row.revision })}
                        onSettled={list.reload}
                      />
                    </>
                  ) : (
                    props.unchangeable
                  )}
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
