import type { BoundHost, StrategyView, TreeNodeView } from '../../types.ts'
import { useApi } from '../../use-api.ts'

/**
 * What inputs offer while typing: node paths, bound hosts, strategies (id, named); and where each
 * host is bound (tree paths), which decides who may silence it.
 */
export interface Suggestions {
  nodes: string[]
  hosts: string[]
  strategies: { value: string; label: string }[]
  bound: ReadonlyMap<string, readonly string[]>
  /** Whether they have loaded (or failed to: then they stay empty). */
  ready: boolean
}

const NONE: Suggestions = { nodes: [], hosts: [], strategies: [], bound: new Map(), ready: false }

/** Loaded once per page; without them the inputs still take any text. */
export function useSuggestions(): Suggestions {
  const loaded = useApi(async (api, signal) => {
    const [tree, hosts, strategies] = await Promise.all([
      api.get<{ nodes: TreeNodeView[] }>('/api/v1/tree', undefined, signal),
      api.get<{ hosts: BoundHost[] }>('/api/v1/hosts', undefined, signal),
      api.get<{ strategies: StrategyView[] }>('/api/v1/strategies', undefined, signal),
    ])
    return {
      nodes: tree.nodes.map((n) => n.path).sort(),
      hosts: hosts.hosts.map((h) => h.host).sort(),
      bound: new Map(hosts.hosts.map((h) => [h.host, h.nodes])),
      ready: true,
      strategies: strategies.strategies.map((s) => ({
        value: s.id,
        label: `${s.name} (${s.node ?? 'expression'})`,
      })),
    }
  }, [])
  return loaded.data ?? (loaded.error ? { ...NONE, ready: true } : NONE)
}
