import { type KeyboardEvent, useMemo, useRef, useState } from 'react'
import { useLocation, useNavigate } from 'react-router'
import type { BoundHost, FiringEvent, TreeNodeView } from '../types.ts'
import { useApi } from '../use-api.ts'
import { buildTree, filterTree, lineage, parentOf, type TreeItem, visiblePaths } from './model.ts'

type TreeData = { nodes: TreeNodeView[]; hosts: BoundHost[]; firing: FiringEvent[] }

/**
 * The service tree: search, expand, counts of hosts and firing alarms. Keyboard: up/down move,
 * right expands (or enters), left collapses (or goes to the parent), Enter opens, as the WAI-ARIA
 * tree pattern has it.
 */
export function TreeSidebar() {
  const { pathname } = useLocation()
  const selected = pathname.startsWith('/nodes/') ? decodeURIComponent(pathname.split('/')[2] ?? '') : ''
  const navigate = useNavigate()
  const { data, error } = useApi<TreeData>(
    async (api, signal) => {
      const [tree, hosts, firing] = await Promise.all([
        api.get<{ nodes: TreeData['nodes'] }>('/api/v1/tree', undefined, signal),
        api.get<{ hosts: TreeData['hosts'] }>('/api/v1/hosts', undefined, signal),
        api.get<{ events: TreeData['firing'] }>('/api/v1/events/firing', undefined, signal),
      ])
      return { nodes: tree.nodes, hosts: hosts.hosts, firing: firing.events }
    },
    [],
    30,
  )
  const [search, setSearch] = useState('')
  const [expanded, setExpanded] = useState<Set<string>>(
    () => new Set(selected ? lineage(parentOf(selected)) : []),
  )
  const [focused, setFocused] = useState(selected)
  const list = useRef<HTMLDivElement>(null)

  const roots = useMemo(
    () =>
      data
        ? buildTree(
            data.nodes.map((n) => n.path),
            data.hosts,
            data.firing,
          )
        : [],
    [data],
  )
  const shown = useMemo(() => filterTree(roots, search), [roots, search])
  // While searching, every match is shown expanded.
  const open = useMemo(
    () => (search ? new Set(visiblePaths(shown, new Set(allPaths(shown)))) : expanded),
    [search, shown, expanded],
  )
  const order = useMemo(() => visiblePaths(shown, open), [shown, open])

  const toggle = (path: string, to?: boolean) =>
    setExpanded((prev) => {
      const next = new Set(prev)
      if (to ?? !next.has(path)) next.add(path)
      else next.delete(path)
      return next
    })
  const focus = (path: string) => {
    setFocused(path)
    list.current?.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`)?.focus()
  }
  const onKey = (e: KeyboardEvent, item: TreeItem) => {
    const i = order.indexOf(item.path)
    const moves: Record<string, () => void> = {
      ArrowDown: () => order[i + 1] && focus(order[i + 1]!),
      ArrowUp: () => order[i - 1] && focus(order[i - 1]!),
      ArrowRight: () =>
        item.children.length &&
        (open.has(item.path) ? focus(item.children[0]!.path) : toggle(item.path, true)),
      ArrowLeft: () =>
        open.has(item.path) ? toggle(item.path, false) : parentOf(item.path) && focus(parentOf(item.path)),
      Home: () => order[0] && focus(order[0]),
      End: () => order.length && focus(order[order.length - 1]!),
      Enter: () => navigate(`/nodes/${encodeURIComponent(item.path)}`),
    }
    const move = moves[e.key]
    if (!move) return
    e.preventDefault()
    move()
  }

  const render = (items: readonly TreeItem[], level: number) =>
    items.map((item) => (
      <div key={item.path} role="none">
        <div
          role="treeitem"
          className="tree-row"
          data-path={item.path}
          aria-level={level}
          aria-selected={item.path === selected}
          aria-expanded={item.children.length ? open.has(item.path) : undefined}
          tabIndex={item.path === (focused || order[0]) ? 0 : -1}
          onKeyDown={(e) => onKey(e, item)}
          onClick={() => {
            setFocused(item.path)
            navigate(`/nodes/${encodeURIComponent(item.path)}`)
          }}
        >
          <span
            aria-hidden="true"
            onClick={(e) => {
              e.stopPropagation()
              toggle(item.path)
            }}
          >
            {item.children.length ? (open.has(item.path) ? '▾' : '▸') : '·'}
          </span>
          <span>{item.name}</span>
          <span className="count" title={`${item.hosts} hosts, ${item.firing} firing`}>
            {item.hosts}
            {item.firing > 0 && (
              <span className="badge firing">
                {item.firing}
                <span className="sr-only"> firing</span>
              </span>
            )}
          </span>
        </div>
        {item.children.length > 0 && open.has(item.path) && (
          // biome-ignore lint/a11y/useSemanticElements: the WAI-ARIA tree pattern nests treeitems in a group
          <div role="group" className="tree">
            {render(item.children, level + 1)}
          </div>
        )}
      </div>
    ))

  return (
    <nav aria-label="Service tree">
      <label>
        Search the tree
        <input
          type="search"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          placeholder="node path"
        />
      </label>
      {error && <p className="error">{error.message}</p>}
      <div ref={list} role="tree" aria-label="Service tree" className="tree">
        {render(shown, 1)}
      </div>
      {data && !shown.length && <p className="muted">{search ? 'No node matches.' : 'The tree is empty.'}</p>}
    </nav>
  )
}

function allPaths(items: readonly TreeItem[]): string[] {
  return items.flatMap((i) => [i.path, ...allPaths(i.children)])
}
