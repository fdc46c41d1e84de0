import { Fragment, useMemo } from 'react'
import { Link } from 'react-router'
import { ErrorNote } from '../../ErrorNote.tsx'
import { PriorityBadge } from '../../PriorityBadge.tsx'
import { useSession } from '../../session.tsx'
import type { FiringEvent, TreeNodeView } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { ago } from '../node/host-status.ts'
import { AlarmActions } from './AlarmActions.tsx'
import type { SilenceView } from './alarm-types.ts'
import { EVENT_COLUMNS, EventCells, When } from './EventParts.tsx'
import { byAck, groupByPriority, mayAct, type PriorityGroup } from './firing-model.ts'
import { NotificationsRow, NotificationsToggle } from './Notifications.tsx'
import { silencesHolding } from './silenced-by.ts'
import { useToggles } from './use-toggles.ts'

/** Seconds between refreshes of what fires: an on-call screen stays current while it is looked at. */
const FIRING_REFRESH_SECONDS = 10
/** The most the API answers at once. */
const FIRING_LIMIT = 1000

export interface FiringProps {
  node?: string
  host?: string
  /** An ACK_FILTERS value. */
  ack?: string
  /** Of the priority groups' headings: below the page's h1 (2) or a section's h2 (3). */
  level?: 2 | 3
}

/** What is firing now, grouped by priority (P0 first), with who acknowledged it and what silences it. */
export function FiringAlarms({ node, host, ack = '', level = 2 }: FiringProps) {
  const { me } = useSession()
  const firing = useApi(
    (api, signal) =>
      api.get<{ events: FiringEvent[] }>(
        '/api/v1/events/firing',
        { node, host, limit: FIRING_LIMIT },
        signal,
      ),
    [node, host],
    FIRING_REFRESH_SECONDS,
  )
  // Which silences hold what: a hint beside each alarm, so a failure to load it costs only the hint.
  const rules = useApi(
    async (api, signal) => {
      const [s, t] = await Promise.all([
        api.get<{ silences: SilenceView[] }>('/api/v1/silences', { state: 'active' }, signal),
        api.get<{ nodes: TreeNodeView[] }>('/api/v1/tree', undefined, signal),
      ])
      return { silences: s.silences, nodes: t.nodes }
    },
    [],
    30,
  )
  const all = firing.data?.events
  const held = useMemo(
    () =>
      all && rules.data
        ? silencesHolding(all, rules.data.silences, rules.data.nodes, Date.now() / 1000)
        : new Map<string, SilenceView[]>(),
    [all, rules.data],
  )
  const groups = useMemo(() => groupByPriority(byAck(all ?? [], ack, me.name)), [all, ack, me.name])

  if (!all) return firing.error ? <ErrorNote error={firing.error} /> : <p className="muted">Loading…</p>
  const shown = groups.reduce((n, g) => n + g.events.length, 0)
  return (
    <div className="stack">
      <ErrorNote error={firing.error} />
      <p className="muted" aria-live="polite">
        {all.length} firing · {all.filter((e) => e.ack).length} acknowledged · {held.size} silenced
        {shown !== all.length && ` · ${shown} shown`}
        {all.length === FIRING_LIMIT && ` (the first ${FIRING_LIMIT}: narrow by node or host)`}
      </p>
      {shown === 0 ? (
        <p>{all.length ? 'No firing alarm matches the filters.' : 'Nothing is firing.'}</p>
      ) : (
        <FiringTable groups={groups} held={held} level={level} onChanged={firing.reload} />
      )}
    </div>
  )
}

/** One table, so the columns of every priority line up; a group of rows (with its heading) per priority. */
function FiringTable(props: {
  groups: PriorityGroup[]
  held: ReadonlyMap<string, SilenceView[]>
  level: 2 | 3
  onChanged: () => void
}) {
  const { can } = useSession()
  const [open, toggle] = useToggles()
  const now = Date.now() / 1000
  const actions = props.groups.some((g) => g.events.some((e) => mayAct(can, e)))
  const columns = actions ? 9 : 8
  const Heading = props.level === 2 ? 'h2' : 'h3'
  return (
    <table aria-label="Firing alarms" className="firing">
      <thead>
        <tr>
          <th>Since</th>
          {EVENT_COLUMNS.map((c) => (
            <th key={c}>{c}</th>
          ))}
          <th>Acknowledged</th>
          <th>Silenced</th>
          <th>Notifications</th>
          {actions && <th>Actions</th>}
        </tr>
      </thead>
      {props.groups.map((g) => (
        <tbody key={g.priority} aria-label={`P${g.priority} alarms`}>
          <tr className="group">
            <th colSpan={columns} scope="rowgroup">
              <Heading>
                <PriorityBadge priority={g.priority} /> {g.events.length} firing
              </Heading>
            </th>
          </tr>
          {g.events.map((e) => (
            <Fragment key={e.key}>
              <tr>
                <td>
                  <When seconds={e.timestamp} now={now} />
                </td>
                <EventCells event={e} />
                <td>
                  <AckState event={e} now={now} />
                </td>
                <td>
                  <Silences list={props.held.get(e.key)} />
                </td>
                <td>
                  <NotificationsToggle open={open.has(e.key)} onToggle={() => toggle(e.key)} />
                </td>
                {actions && (
                  <td>{mayAct(can, e) && <AlarmActions event={e} onChanged={props.onChanged} />}</td>
                )}
              </tr>
              <NotificationsRow open={open.has(e.key)} columns={columns} query={{ key: e.key }} />
            </Fragment>
          ))}
        </tbody>
      ))}
    </table>
  )
}

function AckState({ event, now }: { event: FiringEvent; now: number }) {
  const a = event.ack
  if (!a) return <span className="warn">no</span>
  return (
    <>
      by {a.by} <span className="muted">{ago(a.at, now)}</span>
      {a.via === 'link' && <span className="muted"> (link)</span>}
      {a.note && <div className="ack-note">{a.note}</div>}
    </>
  )
}

function Silences({ list }: { list: SilenceView[] | undefined }) {
  if (!list) return <span className="muted">no</span>
  return (
    <ul className="plain">
      {list.map((s) => (
        <li key={s.id}>
          <Link to={`/silences?state=active#${s.id}`} title={s.reason}>
            {s.name ?? s.reason}
          </Link>
        </li>
      ))}
    </ul>
  )
}
