import type { HealthResponse } from '@peregrine/common/api/deploy-gate'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useApi } from '../../use-api.ts'
import { useNodePath } from './NodePage.tsx'

/** The deploy gate's verdict on the subtree, as a deploy system gets it from GET /api/v1/health. */
export default function NodeHealth() {
  const path = useNodePath()
  const health = useApi(
    (api, signal) => api.get<HealthResponse>('/api/v1/health', { node: path }, signal),
    [path],
    30,
  )
  const h = health.data
  return (
    <div className="stack">
      <ErrorNote error={health.error} />
      {h && (
        <>
          <p>
            Verdict:{' '}
            <span className={h.healthy ? 'verdict-healthy' : 'verdict-unhealthy'} data-testid="verdict">
              {h.healthy ? 'healthy' : 'unhealthy'}
            </span>
          </p>
          {h.reasons.length > 0 && (
            <ul aria-label="Reasons">
              {h.reasons.map((r) => (
                <li key={r}>{r}</li>
              ))}
            </ul>
          )}
          <p className="muted">
            {h.firing.total} firing ({h.firing.silenced} silenced besides) · {h.hosts.total} hosts,{' '}
            {h.hosts.withoutHeartbeat.length} without heartbeat · {h.silences.length} active silences
          </p>
          {h.hosts.withoutHeartbeat.length > 0 && (
            <table aria-label="Hosts without heartbeat">
              <thead>
                <tr>
                  <th>Host</th>
                  <th>Last heartbeat</th>
                </tr>
              </thead>
              <tbody>
                {h.hosts.withoutHeartbeat.map((x) => (
                  <tr key={x.host}>
                    <td>
                      <Link to={`/hosts/${seg(x.host)}`}>{x.host}</Link>
                    </td>
                    <td>
                      {x.lastHeartbeat
                        ? new Date(x.lastHeartbeat * 1000).toLocaleString()
                        : 'none in the last day'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  )
}
