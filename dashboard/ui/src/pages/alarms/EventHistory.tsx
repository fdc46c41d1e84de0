import { Fragment, useState } from 'react'
import type { Query } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { PriorityBadge } from '../../PriorityBadge.tsx'
import { useSession } from '../../session.tsx'
import type { AlertEvent } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { EVENT_COLUMNS, EventCells, When } from './EventParts.tsx'
import { appendPage, olderPage, PAGE_SIZE } from './history-paging.ts'
import { NotificationsRow, NotificationsToggle } from './Notifications.tsx'
import { useToggles } from './use-toggles.ts'

type Older = { after: AlertEvent[]; events: AlertEvent[]; more: boolean }

/** Events matching `query` (the API's filters), newest first, a page at a time. */
export function EventHistory({ query }: { query: Query }) {
  const { api } = useSession()
  const first = useApi(
    (a, signal) => a.get<{ events: AlertEvent[] }>('/api/v1/events', { ...query, limit: PAGE_SIZE }, signal),
    [JSON.stringify(query)],
  )
  // Older pages belong to the first page they were loaded after: a new query or a refresh drops them.
  const [older, setOlder] = useState<Older>()
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState<unknown>()
  const head = first.data?.events
  const held = older && older.after === head ? older : undefined
  const events = held?.events ?? head ?? []
  const more = held ? held.more : (head?.length ?? 0) >= PAGE_SIZE

  const loadMore = async () => {
    if (!head) return
    const q = olderPage(query, events)
    setLoading(true)
    try {
      const page = await api.get<{ events: AlertEvent[] }>('/api/v1/events', q)
      setOlder({ after: head, ...appendPage(events, page.events, q.limit) })
      setError(undefined)
    } catch (err) {
      setError(err)
    } finally {
      setLoading(false)
    }
  }

  return (
    <div className="stack">
      <ErrorNote error={first.error} />
      <div className="row">
        <span className="muted" aria-live="polite">
          {head ? `${events.length} event${events.length === 1 ? '' : 's'}, newest first` : 'Loading…'}
        </span>
        <button type="button" onClick={first.reload}>
          Refresh
        </button>
      </div>
      {head && events.length === 0 && <p>No event matches.</p>}
      {events.length > 0 && <HistoryTable events={events} />}
      <ErrorNote error={error} />
      {more && (
        <button type="button" onClick={loadMore} disabled={loading}>
          {loading ? 'Loading…' : 'Load older events'}
        </button>
      )}
    </div>
  )
}

function HistoryTable({ events }: { events: AlertEvent[] }) {
  const [open, toggle] = useToggles()
  const now = Date.now() / 1000
  return (
    <table aria-label="Events">
      <thead>
        <tr>
          <th>Time</th>
          <th>Status</th>
          {EVENT_COLUMNS.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th>Notifications</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <Fragment key={e.id}>
            <tr>
              <td>
                <When seconds={e.timestamp} now={now} />
              </td>
              <td className="nowrap">
                <PriorityBadge priority={e.strategy.priority} />{' '}
                <span className={e.status === 'PROBLEM' ? 'error' : 'ok'}>{e.status}</span>
                {e.step > 1 && <span className="muted"> #{e.step}</span>}
              </td>
              <EventCells event={e} />
              <td>
                <NotificationsToggle open={open.has(e.id)} onToggle={() => toggle(e.id)} />
              </td>
            </tr>
            <NotificationsRow open={open.has(e.id)} columns={7} query={{ event: e.id }} />
          </Fragment>
        ))}
      </tbody>
    </table>
  )
}
