/** The service tree as the sidebar shows it: nested nodes with counts, built from flat API lists. */
export interface TreeItem {
  path: string
  name: string
  children: TreeItem[]
  /** Distinct hosts bound at this node or below. */
  hosts: number
  /** Events in PROBLEM for hosts bound at this node or below. */
  firing: number
}

export const parentOf = (path: string) => (path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '')

/** Every ancestor of a path and the path itself, root first: `a.b.c` → a, a.b, a.b.c. */
export function lineage(path: string): string[] {
  const parts = path.split('.')
  return parts.map((_, i) => parts.slice(0, i + 1).join('.'))
}

export function buildTree(
  paths: readonly string[],
  hosts: readonly { host: string; nodes: readonly string[] }[],
  firing: readonly { paths: readonly string[] }[],
): TreeItem[] {
  const byPath = new Map<string, TreeItem>()
  for (const path of [...paths].sort())
    byPath.set(path, { path, name: path.slice(path.lastIndexOf('.') + 1), children: [], hosts: 0, firing: 0 })
  const roots: TreeItem[] = []
  for (const item of byPath.values()) {
    const parent = byPath.get(parentOf(item.path))
    if (parent && parent !== item) parent.children.push(item)
    else roots.push(item)
  }
  // A host bound at two nodes of one branch counts once on their common ancestors.
  for (const h of hosts) countOnce(byPath, h.nodes, 'hosts')
  for (const e of firing) countOnce(byPath, e.paths, 'firing')
  return roots
}

function countOnce(byPath: Map<string, TreeItem>, paths: readonly string[], field: 'hosts' | 'firing'): void {
  const touched = new Set<string>()
  for (const p of paths) for (const a of lineage(p)) touched.add(a)
  for (const a of touched) {
    const item = byPath.get(a)
    if (item) item[field]++
  }
}

/** The nodes whose path contains the text, with their ancestors so they stay reachable. */
export function filterTree(roots: readonly TreeItem[], text: string): TreeItem[] {
  const needle = text.trim().toLowerCase()
  if (!needle) return [...roots]
  const keep = (item: TreeItem): TreeItem | null => {
    const children = item.children.map(keep).filter((c): c is TreeItem => c !== null)
    if (children.length || item.path.toLowerCase().includes(needle)) return { ...item, children }
    return null
  }
  return roots.map(keep).filter((c): c is TreeItem => c !== null)
}

/** The paths shown, in display order, given which are expanded: what arrow keys move through. */
export function visiblePaths(roots: readonly TreeItem[], expanded: ReadonlySet<string>): string[] {
  const out: string[] = []
  const walk = (items: readonly TreeItem[]) => {
    for (const item of items) {
      out.push(item.path)
      if (expanded.has(item.path)) walk(item.children)
    }
  }
  walk(roots)
  return out
}
