import { useSession, withinScope } from '../../session.tsx'
import type { TreeNodeView } from '../../types.ts'
import { useApi } from '../../use-api.ts'

/** The tree paths the signed-in token may act on, sorted, to suggest in a path input. */
export function useScopedPaths(): string[] {
  const { me } = useSession()
  const tree = useApi(
    (api, signal) => api.get<{ nodes: TreeNodeView[] }>('/api/v1/tree', undefined, signal),
    [],
  )
  return (tree.data?.nodes ?? [])
    .map((n) => n.path)
    .filter((p) => withinScope(p, me.scope))
    .sort()
}

/** A path input's own check: within the signed-in token's scope, where the API would answer 403. */
export function scopeError(path: string, scope: string): string | undefined {
  if (withinScope(path, scope)) return undefined
  return `outside your scope ${scope}: choose ${scope} or a path below it`
}
