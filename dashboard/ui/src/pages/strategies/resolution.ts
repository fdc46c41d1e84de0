import { lineage } from '../../tree/model.ts'
import type { StrategyView } from '../../types.ts'

/** Whether a strategy bound at or above a node applies there, and if not, which node stops it. */
export type Standing =
  | { kind: 'applies' }
  /** A node between the strategy's and this one (this one included) binds the same metric + tags. */
  | { kind: 'overridden'; by: string }
  /** A node between the strategy's and this one (this one included) excludes its metric + tags. */
  | { kind: 'excluded'; at: string }

export interface ResolvedStrategy {
  strategy: StrategyView
  /** Path of the node the strategy is bound to: the node itself or one of its ancestors. */
  from: string
  standing: Standing
}

type Selector = { metric: string; tags: string }
type NodeExcludes = { path: string; excludes: readonly Selector[] }

const keyOf = (s: Selector) => `${s.metric}\n${s.tags}`

function keysBy<T>(items: readonly T[], path: (t: T) => string | null, selectors: (t: T) => Selector[]) {
  const out = new Map<string, Set<string>>()
  for (const item of items) {
    const p = path(item)
    if (p === null) continue
    const set = out.get(p) ?? new Set<string>()
    for (const s of selectors(item)) set.add(keyOf(s))
    out.set(p, set)
  }
  return out
}

/**
 * The strategies bound at `path` and above it, as StrategyResolver (common/src/model/resolve.ts)
 * decides them for a host bound there, with the reason when one does not apply. Walking down from
 * the strategy's node, the first node that binds the same metric + tags overrides it; failing
 * that, the first that excludes them removes it. A node's own strategies are put after its
 * exclusions are taken out, so its own always apply there, and a node that both excludes and
 * binds a metric + tags overrides. Ordered by metric, tags, then from the root down, so an
 * override sits under what it overrides.
 */
export function resolveAt(
  path: string,
  nodes: readonly NodeExcludes[],
  strategies: readonly StrategyView[],
): ResolvedStrategy[] {
  const line = lineage(path)
  const depth = new Map(line.map((p, i) => [p, i]))
  const bound = strategies.filter((s) => s.node !== null && depth.has(s.node))
  const own = keysBy(
    bound,
    (s) => s.node,
    (s) => [s],
  )
  const excluded = keysBy(
    nodes,
    (n) => n.path,
    (n) => [...n.excludes],
  )
  const standingOf = (s: StrategyView, from: number): Standing => {
    const key = keyOf(s)
    for (const p of line.slice(from + 1)) {
      if (own.get(p)?.has(key)) return { kind: 'overridden', by: p }
      if (excluded.get(p)?.has(key)) return { kind: 'excluded', at: p }
    }
    return { kind: 'applies' }
  }
  return bound
    .map((s) => {
      const from = s.node as string
      return { strategy: s, from, standing: standingOf(s, depth.get(from) ?? 0) }
    })
    .sort(
      (a, b) =>
        a.strategy.metric.localeCompare(b.strategy.metric) ||
        a.strategy.tags.localeCompare(b.strategy.tags) ||
        (depth.get(a.from) ?? 0) - (depth.get(b.from) ?? 0) ||
        a.strategy.name.localeCompare(b.strategy.name),
    )
}
