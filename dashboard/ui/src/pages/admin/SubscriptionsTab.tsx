import { Link } from 'react-router'
import { type Api, seg } from '../../api.ts'
import { PriorityBadge } from '../../PriorityBadge.tsx'
import { useSession } from '../../session.tsx'
import type { SubscriptionView } from './admin-types.ts'
import { RecordsTab } from './RecordsTab.tsx'
import { SubscriptionForm } from './SubscriptionForm.tsx'

/** A subscription whose node still exists (the API lists no other). */
type Listed = SubscriptionView & { node: string }

const load = async (api: Api, signal: AbortSignal) =>
  (
    await api.get<{ subscriptions: SubscriptionView[] }>('/api/v1/subscriptions', undefined, signal)
  ).subscriptions
    .filter((s): s is Listed => s.node !== null)
    .sort((a, b) => a.node.localeCompare(b.node) || a.team.localeCompare(b.team))

/**
 * Teams subscribed to the alerts of subtrees. The list holds those in the token's view, the
 * nodes above its scope included; it changes only those within its scope.
 */
export default function SubscriptionsTab() {
  const { can, me } = useSession()
  return (
    <RecordsTab<Listed>
      title="Subscriptions"
      kind="subscription"
      load={load}
      rowKey={(s) => s.id}
      describe={(s) => `of ${s.team} to ${s.node}`}
      canCreate
      canChange={(s) => can('admin', s.node)}
      unchangeable={
        <span className="muted" title={`above your scope ${me.scope}`}>
          inherited
        </span>
      }
      deletePath={(s) => `/api/v1/subscriptions/${seg(s.id)}`}
      Form={SubscriptionForm}
      columns={[
        { header: 'Team', cell: (s) => s.team },
        { header: 'Subtree', cell: (s) => <Link to={`/nodes/${seg(s.node)}`}>{s.node}</Link> },
        {
          header: 'Priorities',
          cell: (s) => s.priorities.map((p) => <PriorityBadge key={p} priority={p} />),
        },
      ]}
    />
  )
}
