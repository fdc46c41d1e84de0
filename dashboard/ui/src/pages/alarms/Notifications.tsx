import { ErrorNote } from '../../ErrorNote.tsx'
import { useApi } from '../../use-api.ts'
import type { NotificationEntry } from './alarm-types.ts'
import { When } from './EventParts.tsx'

/** How an outcome reads: delivered, failed, or held back on purpose. */
const OUTCOME_CLASS: Record<NotificationEntry['outcome'], string> = {
  sent: 'ok',
  retrying: 'warn',
  failed: 'error',
  dead: 'error',
  silenced: 'muted',
  inhibited: 'muted',
  acknowledged: 'muted',
  suppressed: 'muted',
}

/**
 * What the alarm did about an event (`event`: its id) or about every event of a key: one row
 * per delivery attempt or decision not to send, per receiver and channel.
 */
function Notifications({ query }: { query: { event: string } | { key: string } }) {
  const records = useApi(
    (api, signal) =>
      api.get<{ records: NotificationEntry[] }>('/api/v1/notifications', { ...query, limit: 100 }, signal),
    [JSON.stringify(query)],
  )
  const now = Date.now() / 1000
  if (records.error) return <ErrorNote error={records.error} />
  if (!records.data) return <p className="muted">Loading…</p>
  const list = records.data.records
  if (!list.length)
    return (
      <p className="muted">Nothing recorded: no receiver was named, or the alarm has not handled it yet.</p>
    )
  return (
    <table aria-label="Notifications" className="notifications">
      <thead>
        <tr>
          <th>At</th>
          <th>Receiver</th>
          <th>Channel</th>
          <th>Address</th>
          <th>Outcome</th>
          <th>Attempt</th>
          <th>Status</th>
          <th>Error</th>
        </tr>
      </thead>
      <tbody>
        {list.map((r) => (
          <tr key={r.id}>
            <td>
              <When seconds={r.at} now={now} />
            </td>
            <td>{r.receiver}</td>
            <td>{r.channel}</td>
            <td className="break">{r.address}</td>
            <td className={OUTCOME_CLASS[r.outcome]}>{r.outcome}</td>
            <td>{r.attempt || '—'}</td>
            <td>
              {r.status}
              {r.count > 1 && <span className="muted"> · {r.count} events merged</span>}
            </td>
            <td className="break">{r.error}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** The row under an event's row that shows its Notifications, while open. */
export function NotificationsRow(props: {
  open: boolean
  columns: number
  query: { event: string } | { key: string }
}) {
  if (!props.open) return null
  return (
    <tr className="details">
      <td colSpan={props.columns}>
        <Notifications query={props.query} />
      </td>
    </tr>
  )
}

/** Shows or hides the Notifications of a row. */
export function NotificationsToggle({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <button type="button" aria-expanded={open} onClick={onToggle}>
      What the alarm did
    </button>
  )
}
