import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import { useNodePath } from '../node/NodePage.tsx'
import { screensUrl } from './links.ts'
import type { ScreenView } from './types.ts'

/**
 * The node's screens, then those of the nodes above it (they show what contains this node, e.g. a
 * company-wide overview), nearest first. Editors in scope create new ones here.
 */
export default function ScreenList() {
  const path = useNodePath()
  const { can } = useSession()
  const list = useApi(
    (api, signal) =>
      api.get<{ screens: ScreenView[] }>('/api/v1/screens', { node: path, inherited: true }, signal),
    [path],
  )
  const all = list.data?.screens ?? []
  const own = all.filter((s) => s.node === path)
  // The API orders by node path, so the nearest ancestor is last: reversed, it comes first.
  const above = all.filter((s) => s.node !== path).reverse()
  const base = screensUrl(path)
  return (
    <div className="stack">
      <ErrorNote error={list.error} />
      {can('editor', path) && (
        <div>
          <Link to={`${base}/new`} className="button">
            New screen
          </Link>
        </div>
      )}
      {list.data && all.length === 0 && <p className="muted">No screen on {path} or above it yet.</p>}
      {all.length > 0 && (
        <table aria-label="Screens">
          <thead>
            <tr>
              <th>Name</th>
              <th>Node</th>
              <th>Charts</th>
              <th>Changed</th>
            </tr>
          </thead>
          <tbody>
            {[...own, ...above].map((s) => (
              <tr key={s.id}>
                <td>
                  <Link to={`${base}/${seg(s.id)}`}>{s.name}</Link>
                </td>
                <td>{s.node === path ? <span className="muted">this node</span> : `from ${s.node}`}</td>
                <td>{s.charts.length}</td>
                <td>
                  {new Date(s.updatedAt * 1000).toLocaleString()} by {s.updatedBy}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}
