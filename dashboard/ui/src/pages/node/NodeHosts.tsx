import { useState } from 'react'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession, withinScope } from '../../session.tsx'
import type { BoundHost, UnassignedHost } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { ago, hostStatus } from './host-status.ts'
import { useNodePath } from './NodePage.tsx'

/** The hosts bound at the node and below, with status; editors bind unassigned hosts here. */
export default function NodeHosts() {
  const path = useNodePath()
  const { can } = useSession()
  // Each host lists the paths it is bound to: the node's hosts are those with one at or below it.
  const hosts = useApi(
    async (api, signal) => {
      const { hosts } = await api.get<{ hosts: BoundHost[] }>('/api/v1/hosts', undefined, signal)
      return hosts.filter((h) => h.nodes.some((n) => withinScope(n, path)))
    },
    [path],
    30,
  )
  const now = Date.now() / 1000
  return (
    <div className="stack">
      <ErrorNote error={hosts.error} />
      <table aria-label="Hosts">
        <thead>
          <tr>
            <th>Host</th>
            <th>Status</th>
            <th>Last seen</th>
            <th>Agent</th>
            <th>Nodes</th>
          </tr>
        </thead>
        <tbody>
          {hosts.data?.map((h) => {
            const status = hostStatus(h.lastSeen, now)
            return (
              <tr key={h.host}>
                <td>
                  <Link to={`/hosts/${seg(h.host)}`}>{h.host}</Link>
                </td>
                <td className={status === 'up' ? 'ok' : status === 'stale' ? 'warn' : 'error'}>{status}</td>
                <td>{ago(h.lastSeen, now)}</td>
                <td>{h.agentVersion || <span className="muted">pushed</span>}</td>
                <td>{h.nodes.join(', ')}</td>
              </tr>
            )
          })}
        </tbody>
      </table>
      {hosts.data && hosts.data.length === 0 && <p className="muted">No host is bound here yet.</p>}
      {can('editor', path) && <Unassigned path={path} onBound={hosts.reload} />}
    </div>
  )
}

/** Reporting hosts that no node holds, each bindable to this node in one click. */
function Unassigned({ path, onBound }: { path: string; onBound: () => void }) {
  const { api } = useSession()
  const [error, setError] = useState<unknown>()
  const list = useApi(
    (a, signal) => a.get<{ hosts: UnassignedHost[] }>('/api/v1/hosts/unassigned', undefined, signal),
    [],
  )
  const bind = async (host: string) => {
    try {
      await api.put(`/api/v1/hosts/${seg(host)}/nodes`, { nodes: [path], revision: 0 })
      setError(undefined)
      list.reload()
      onBound()
    } catch (err) {
      setError(err)
    }
  }
  if (!list.data?.hosts.length) return null
  const now = Date.now() / 1000
  return (
    <section>
      <h2>Unassigned hosts</h2>
      <ErrorNote error={error ?? list.error} />
      <table aria-label="Unassigned hosts">
        <thead>
          <tr>
            <th>Host</th>
            <th>Last seen</th>
            <th>Agent</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.data.hosts.map((h) => (
            <tr key={h.host}>
              <td>{h.host}</td>
              <td>{ago(h.lastSeen, now)}</td>
              <td>{h.agentVersion || <span className="muted">pushed</span>}</td>
              <td>
                <button type="button" onClick={() => bind(h.host)}>
                  Bind to {path}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}
