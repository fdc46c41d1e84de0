import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { formatLocal } from '../../time/range.ts'
import type { AlertEvent } from '../../types.ts'
import { ago } from '../node/host-status.ts'

/** The pieces of an event every alarm table shows alike. */

/** When, on the browser's clock, with how long ago as the tooltip. */
export function When({ seconds, now }: { seconds: number; now: number }) {
  return (
    <time dateTime={new Date(seconds * 1000).toISOString()} title={ago(seconds, now)} className="nowrap">
      {formatLocal(seconds)}
    </time>
  )
}

function HostLink({ host }: { host: string }) {
  return (
    <Link to={`/hosts/${seg(host)}`} className="nowrap">
      {host}
    </Link>
  )
}

/** The tree nodes the event's host is bound to, each to its alarms tab. */
function NodeLinks({ paths }: { paths: readonly string[] }) {
  if (!paths.length) return <span className="muted">unbound</span>
  return (
    <>
      {paths.map((p, i) => (
        <span key={p}>
          {i > 0 && ', '}
          <Link to={`/nodes/${seg(p)}/alarms`}>{p}</Link>
        </span>
      ))}
    </>
  )
}

/** `metric{tags}` and what was found against what was asked. */
function WhatFired({ event }: { event: AlertEvent }) {
  const series = event.tags ? `${event.metric}{${event.tags}}` : event.metric
  return (
    <>
      <code>{series}</code>
      {event.value !== null && <span className="nowrap"> = {event.value}</span>}
      <div className="muted">
        {event.kind === 'value' ? event.strategy.condition : event.kind}
        {event.flapping && ' · flapping'}
      </div>
    </>
  )
}

/** The headers of EventCells. */
export const EVENT_COLUMNS = ['Host', 'Alarm', 'Strategy', 'Nodes'] as const

/** The cells of an event's row that every alarm table has: its host, what fired, the strategy, the nodes. */
export function EventCells({ event }: { event: AlertEvent }) {
  return (
    <>
      <td>
        <HostLink host={event.endpoint} />
      </td>
      <td>
        <WhatFired event={event} />
      </td>
      <td>
        <StrategyName event={event} />
      </td>
      <td>
        <NodeLinks paths={event.paths} />
      </td>
    </>
  )
}

/** The strategy by name, and its note when it has one. */
function StrategyName({ event }: { event: AlertEvent }) {
  return (
    <>
      {event.strategy.name || <span className="muted">{event.kind}</span>}
      {event.strategy.note && <div className="muted">{event.strategy.note}</div>}
    </>
  )
}
