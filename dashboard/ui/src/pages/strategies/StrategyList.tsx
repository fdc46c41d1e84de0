import { useMemo, useState } from 'react'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { PriorityBadge } from '../../PriorityBadge.tsx'
import { useSession } from '../../session.tsx'
import { lineage } from '../../tree/model.ts'
import type { StrategyView, TreeNodeView } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { strategyText } from './describe.ts'
import { type ResolvedStrategy, resolveAt, type Standing } from './resolution.ts'

type Exclusion = TreeNodeView['excludes'][number]

interface NodeStrategies {
  nodes: TreeNodeView[]
  /** Bound at the node and at each of its ancestors. */
  bound: StrategyView[]
  expressions: StrategyView[]
}

export const strategiesUrl = (path: string) => `/nodes/${seg(path)}/strategies`
const strategyUrl = (path: string, id: string) => `${strategiesUrl(path)}/${seg(id)}`

/** The headers of StrategyCells. */
const STRATEGY_COLUMNS = ['Name', 'Condition', 'Priority', 'Receivers'] as const

/** The cells every row of a strategy starts with: its name (to its page), condition, priority, receivers. */
function StrategyCells({ strategy: s, href }: { strategy: StrategyView; href: string }) {
  return (
    <>
      <td>
        <Link to={href}>{s.name}</Link>
        {!s.enabled && <span className="muted"> (disabled)</span>}
      </td>
      <td>
        <code>{strategyText(s)}</code>
      </td>
      <td>
        <PriorityBadge priority={s.priority} />
      </td>
      <td>{s.receivers.join(', ') || <span className="muted">none</span>}</td>
    </>
  )
}

/**
 * The strategies that concern a node: those bound to it and those inherited from above, each
 * with where it comes from and whether it applies here, then the node's exclusions and the
 * expressions. Editors in scope override or exclude inherited strategies here.
 */
export function StrategyList({ path }: { path: string }) {
  const { api, can } = useSession()
  const data = useApi<NodeStrategies>(
    async (a, signal) => {
      const list = (query: Record<string, string>) =>
        a.get<{ strategies: StrategyView[] }>('/api/v1/strategies', query, signal).then((r) => r.strategies)
      const [tree, expressions, ...bound] = await Promise.all([
        a.get<{ nodes: TreeNodeView[] }>('/api/v1/tree', undefined, signal),
        list({ expressions: 'true' }),
        ...lineage(path).map((node) => list({ node })),
      ])
      return { nodes: tree.nodes, bound: bound.flat(), expressions }
    },
    [path],
  )
  const [actionError, setActionError] = useState<unknown>()
  const node = data.data?.nodes.find((n) => n.path === path)
  const rows = useMemo(
    () => (data.data ? resolveAt(path, data.data.nodes, data.data.bound) : []),
    [data.data, path],
  )
  const editor = can('editor', path)

  const setExcludes = async (excludes: Exclusion[]) => {
    if (!node) return
    try {
      await api.put(`/api/v1/tree/${seg(path)}`, { excludes, version: node.version })
      setActionError(undefined)
    } catch (err) {
      setActionError(err)
    } finally {
      // Also after a refusal: a stale version is read again, so the next try can succeed.
      data.reload()
    }
  }
  const exclude = (s: StrategyView) =>
    setExcludes([...(node?.excludes ?? []), { metric: s.metric, tags: s.tags }])
  const include = (x: Exclusion) =>
    setExcludes((node?.excludes ?? []).filter((e) => e.metric !== x.metric || e.tags !== x.tags))

  return (
    <div className="stack strategies">
      <ErrorNote error={data.error} />
      <ErrorNote error={actionError} />
      {editor && (
        <p>
          <Link className="button primary" to={`${strategiesUrl(path)}/new`}>
            New strategy
          </Link>
        </p>
      )}
      <table aria-label="Strategies">
        <thead>
          <tr>
            {STRATEGY_COLUMNS.map((c) => (
              <th key={c}>{c}</th>
            ))}
            <th>From</th>
            <th>Here</th>
            {editor && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <StrategyRow key={r.strategy.id} row={r} path={path} editor={editor} onExclude={exclude} />
          ))}
        </tbody>
      </table>
      {data.data && rows.length === 0 && <p className="muted">No strategy is bound here or above.</p>}
      {node && node.excludes.length > 0 && (
        <Exclusions excludes={node.excludes} editor={editor} onRemove={include} />
      )}
      {data.data && <Expressions list={data.data.expressions} path={path} />}
    </div>
  )
}

function standingText(s: Standing, path: string): string {
  if (s.kind === 'overridden') return `overridden ${s.by === path ? 'here' : `by ${s.by}`}`
  if (s.kind === 'excluded') return `excluded ${s.at === path ? 'here' : `at ${s.at}`}`
  return 'applies'
}

function StrategyRow(props: {
  row: ResolvedStrategy
  path: string
  editor: boolean
  onExclude(s: StrategyView): void
}) {
  const { strategy: s, from, standing } = props.row
  const inherited = from !== props.path
  return (
    <tr className={standing.kind === 'applies' ? undefined : 'not-applying'}>
      <StrategyCells strategy={s} href={strategyUrl(from, s.id)} />
      <td>{inherited ? <Link to={strategiesUrl(from)}>{from}</Link> : 'this node'}</td>
      <td className={`standing-${standing.kind}`}>{standingText(standing, props.path)}</td>
      {props.editor && (
        <td>
          <div className="actions">
            {!inherited && <Link to={strategyUrl(props.path, s.id)}>Edit</Link>}
            {inherited && standing.kind === 'applies' && (
              <>
                <Link className="button" to={`${strategiesUrl(props.path)}/new?override=${seg(s.id)}`}>
                  Override here
                </Link>
                <button type="button" onClick={() => props.onExclude(s)}>
                  Exclude here
                </button>
              </>
            )}
          </div>
        </td>
      )}
    </tr>
  )
}

function Exclusions(props: { excludes: Exclusion[]; editor: boolean; onRemove(x: Exclusion): void }) {
  return (
    <section>
      <h2>Excluded here</h2>
      <p className="muted">
        Inherited strategies on these metrics and tags do not apply at this node and below.
      </p>
      <table aria-label="Exclusions">
        <thead>
          <tr>
            <th>Metric</th>
            <th>Tags</th>
            {props.editor && <th>Actions</th>}
          </tr>
        </thead>
        <tbody>
          {props.excludes.map((x) => (
            <tr key={`${x.metric}\n${x.tags}`}>
              <td>{x.metric}</td>
              <td>{x.tags || <span className="muted">any</span>}</td>
              {props.editor && (
                <td>
                  <button type="button" onClick={() => props.onRemove(x)}>
                    Remove exclusion
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  )
}

function Expressions({ list, path }: { list: StrategyView[]; path: string }) {
  return (
    <section>
      <h2>Expressions</h2>
      <p className="muted">
        Bound to no node: each selects series by metric and tags on every endpoint, this node's hosts
        included.
      </p>
      {list.length === 0 ? (
        <p className="muted">No expression exists.</p>
      ) : (
        <table aria-label="Expressions">
          <thead>
            <tr>
              {STRATEGY_COLUMNS.map((c) => (
                <th key={c}>{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id}>
                <StrategyCells strategy={s} href={strategyUrl(path, s.id)} />
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
