import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import type { BoundHost, EndpointInfo } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { ago, hostStatus } from '../node/host-status.ts'

type Known = { lastSeen?: number; agentVersion?: string; nodes: string[] }

/** Where the host is bound and when it last reported, from the hosts list (or, unbound, its endpoint). */
export function HostInfo({ host }: { host: string }) {
  const info = useApi(
    async (api, signal): Promise<Known> => {
      const { hosts } = await api.get<{ hosts: BoundHost[] }>('/api/v1/hosts', undefined, signal)
      const bound = hosts.find((h) => h.host === host)
      if (bound) return bound
      const { endpoints } = await api.get<{ endpoints: EndpointInfo[] }>(
        '/api/v1/endpoints',
        { prefix: host, limit: 100 },
        signal,
      )
      return { lastSeen: endpoints.find((e) => e.endpoint === host)?.lastSeen, nodes: [] }
    },
    [host],
    30,
  )
  if (!info.data) return <ErrorNote error={info.error} />
  const { lastSeen, agentVersion, nodes } = info.data
  const now = Date.now() / 1000
  const status = hostStatus(lastSeen, now)
  return (
    <dl className="host-info">
      <dt>Last seen</dt>
      <dd>
        <span className={status === 'up' ? 'ok' : status === 'stale' ? 'warn' : 'error'}>{status}</span>
        {' · '}
        {lastSeen === undefined ? (
          'never'
        ) : (
          <time dateTime={new Date(lastSeen * 1000).toISOString()}>{ago(lastSeen, now)}</time>
        )}
      </dd>
      <dt>Agent</dt>
      <dd>{agentVersion || <span className="muted">none (points are pushed)</span>}</dd>
      <dt>Nodes</dt>
      <dd>
        {nodes.length === 0 ? (
          <span className="muted">not bound to any node</span>
        ) : (
          nodes.map((path, i) => (
            <span key={path}>
              {i > 0 && ', '}
              <Link to={`/nodes/${seg(path)}`}>{path}</Link>
            </span>
          ))
        )}
      </dd>
    </dl>
  )
}
