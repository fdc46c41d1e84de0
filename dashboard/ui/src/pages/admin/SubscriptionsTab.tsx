import { useState } from 'react'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { SubscriptionView } from './admin-types.ts'
import { ConfirmButton } from './ConfirmButton.tsx'
import { SubscriptionForm } from './SubscriptionForm.tsx'

type Listed = SubscriptionView & { node: string }

const byNodeThenTeam = (a: Listed, b: Listed) => a.node.localeCompare(b.node) || a.team.localeCompare(b.team)

/**
 * Teams subscribed to the alerts of subtrees. The list holds those in the token's view, the
 * nodes above its scope included; it changes only those within its scope.
 */
export default function SubscriptionsTab() {
  const { api, can, me } = useSession()
  const list = useApi(
    (a, signal) => a.get<{ subscriptions: SubscriptionView[] }>('/api/v1/subscriptions', undefined, signal),
    [],
  )
  const rows = (list.data?.subscriptions ?? [])
    .filter((s): s is Listed => s.node !== null)
    .sort(byNodeThenTeam)
  const [editing, setEditing] = useState<{ record?: Listed } | null>(null)
  const close = () => {
    setEditing(null)
    list.reload()
  }
  return (
    <div className="stack">
      {!editing && (
        <div>
          <button type="button" className="primary" onClick={() => setEditing({})}>
            New subscription
          </button>
        </div>
      )}
      {editing && (
        <SubscriptionForm
          key={editing.record?.id ?? ''}
          record={editing.record}
          onSaved={close}
          onCancel={close}
        />
      )}
      <ErrorNote error={list.error} />
      <table aria-label="Subscriptions">
        <thead>
          <tr>
            <th>Team</th>
            <th>Subtree</th>
            <th>Priorities</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id}>
              <td>{s.team}</td>
              <td>
                <Link to={`/nodes/${seg(s.node)}`}>{s.node}</Link>
              </td>
              <td>
                {s.priorities.map((p) => (
                  <span key={p} className={`badge p${p}`}>
                    P{p}
                  </span>
                ))}
              </td>
              <td className="actions">
                {can('admin', s.node) ? (
                  <>
                    <button
                      type="button"
                      aria-label={`Edit subscription of ${s.team} to ${s.node}`}
                      onClick={() => setEditing({ record: s })}
                    >
                      Edit
                    </button>
                    <ConfirmButton
                      label="Delete"
                      name={`Delete subscription of ${s.team} to ${s.node}`}
                      question={`Unsubscribe ${s.team} from ${s.node}?`}
                      action={() =>
                        api.delete(`/api/v1/subscriptions/${seg(s.id)}`, { revision: s.revision })
                      }
                      onSettled={list.reload}
                    />
                  </>
                ) : (
                  <span className="muted" title={`above your scope ${me.scope}`}>
                    inherited
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {list.data && rows.length === 0 && <p className="muted">No team is subscribed to anything yet.</p>}
    </div>
  )
}
