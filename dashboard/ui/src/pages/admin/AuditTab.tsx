import { Link, useSearchParams } from 'react-router'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useApi } from '../../use-api.ts'
import { AuditFilters, FILTER_KEYS } from './AuditFilters.tsx'
import type { AuditEntry } from './admin-types.ts'
import { changes } from './audit-diff.ts'

/**
 * The change history, newest first, filtered by what the URL holds (kind, id, actor, from, to in
 * unix seconds, limit), so a link shares the search. A scoped token reads its subtree's records.
 */
export default function AuditTab() {
  const [params] = useSearchParams()
  const query = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? undefined]))
  const records = useApi(
    (api, signal) => api.get<{ records: AuditEntry[] }>('/api/v1/audit', query, signal),
    [params.toString()],
  )
  /** The current search with one filter set: a click on a value narrows to it. */
  const narrowed = (set: Record<string, string>) => {
    const next = new URLSearchParams(params)
    for (const [k, v] of Object.entries(set)) next.set(k, v)
    return `?${next}`
  }
  return (
    <div className="stack">
      <AuditFilters key={params.toString()} />
      <ErrorNote error={records.error} />
      <table aria-label="Audit records" className="audit">
        <thead>
          <tr>
            <th>When</th>
            <th>Actor</th>
            <th>Action</th>
            <th>Kind</th>
            <th>Id</th>
            <th>Change</th>
          </tr>
        </thead>
        <tbody>
          {records.data?.records.map((r, i) => (
            // Two changes may share time, actor and object: the position tells them apart.
            <tr key={`${r.at}-${i}`}>
              <td>{new Date(r.at * 1000).toLocaleString()}</td>
              <td>
                <Link to={narrowed({ actor: r.actor })} title={r.actorId && `token ${r.actorId}`}>
                  {r.actor}
                </Link>
              </td>
              <td>{r.action}</td>
              <td>
                <Link to={narrowed({ kind: r.kind })}>{r.kind}</Link>
              </td>
              <td>
                <Link to={narrowed({ kind: r.kind, id: r.id })}>{r.id}</Link>
              </td>
              <td>
                <ChangeLines before={r.before} after={r.after} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {records.data?.records.length === 0 && <p className="muted">No change matches.</p>}
    </div>
  )
}

/** Lines shown per record: a creation lists every field, the JSON below has them all. */
const SHOWN = 6

/** Only what changed, one field a line; the whole before and after one click away. */
function ChangeLines({ before, after }: { before: unknown; after: unknown }) {
  const all = changes(before, after)
  return (
    <>
      <ul className="diff" aria-label="Changed fields">
        {all.slice(0, SHOWN).map((c) => (
          <li key={c.key}>
            {c.key && <span className="diff-key">{c.key}: </span>}
            {c.before !== undefined && <del>{c.before}</del>}
            {c.before !== undefined && c.after !== undefined && ' → '}
            {c.after !== undefined && <ins>{c.after}</ins>}
          </li>
        ))}
        {all.length > SHOWN && <li className="more">and {all.length - SHOWN} more fields</li>}
      </ul>
      <details>
        <summary>JSON</summary>
        <pre>{JSON.stringify({ before, after }, null, 2)}</pre>
      </details>
    </>
  )
}
