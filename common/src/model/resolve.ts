import type { Strategy } from './strategy.ts'
import type { Tree } from './tree.ts'

/** A strategy that applies to a host, and the node it comes from. */
export interface Effective {
  strategy: Strategy
  /** Id of the node the strategy is bound to. */
  node: string
}

const keyOf = (metric: string, tags: string) => `${metric}\n${tags}`

const byMetricThenName = (a: Strategy, b: Strategy) =>
  a.metric === b.metric ? a.name.localeCompare(b.name) : a.metric < b.metric ? -1 : 1

/**
 * Answers "which strategies apply to host H, and from which node": the one implementation the
 * API and the judge share. Strategies are inherited down the tree; a node that binds strategies
 * on the same metric + tags as an ancestor overrides all of the ancestor's (nearest wins); a node
 * that excludes metric + tags removes the inherited ones at and below it. Each node's set is
 * computed once and shared by every host bound to it, so resolving many hosts costs about as
 * much as the number of distinct node sets they are bound to.
 */
export class StrategyResolver {
  readonly #own = new Map<string, Strategy[]>()
  readonly #memo = new Map<string, Map<string, Effective[]>>()
  readonly #hostMemo = new Map<string, Effective[]>()
  /** Strategies not bound to the tree: they select series across all endpoints. */
  readonly expressions: Strategy[] = []

  constructor(
    readonly tree: Tree,
    strategies: Iterable<Strategy>,
  ) {
    for (const s of strategies) {
      if (s.node === null) {
        this.expressions.push(s)
        continue
      }
      if (!tree.byId.has(s.node)) continue // bound to a deleted node: ignored until cleaned up
      const list = this.#own.get(s.node)
      if (list) list.push(s)
      else this.#own.set(s.node, [s])
    }
  }

  /** The effective strategies of a node, keyed by metric + tags. */
  #forNode(id: string): Map<string, Effective[]> {
    const cached = this.#memo.get(id)
    if (cached) return cached
    const node = this.tree.byId.get(id)
    const inherited = node?.parent ? this.#forNode(node.parent) : undefined
    const own = this.#own.get(id) ?? []
    let result: Map<string, Effective[]>
    if (own.length === 0 && !node?.excludes.length && inherited) {
      result = inherited // nothing changes here: share the parent's set
    } else {
      result = new Map(inherited)
      for (const e of node?.excludes ?? []) result.delete(keyOf(e.metric, e.tags))
      const mine = new Map<string, Effective[]>()
      for (const s of own) {
        const k = keyOf(s.metric, s.tags)
        const list = mine.get(k)
        if (list) list.push({ strategy: s, node: id })
        else mine.set(k, [{ strategy: s, node: id }])
      }
      for (const [k, list] of mine) result.set(k, list)
    }
    this.#memo.set(id, result)
    return result
  }

  /**
   * The expressions that select at least one of `series` (a host's): same metric, and the
   * expression's tags a subset of the series' tags. Ordered by metric then name.
   */
  expressionsFor(series: readonly { metric: string; tags: string }[]): Strategy[] {
    const tagSets = new Map<string, Set<string>[]>()
    for (const s of series) {
      const sets = tagSets.get(s.metric) ?? []
      sets.push(new Set(s.tags === '' ? [] : s.tags.split(',')))
      tagSets.set(s.metric, sets)
    }
    const wanted = (e: Strategy) => (e.tags === '' ? [] : e.tags.split(','))
    return this.expressions
      .filter((e) => tagSets.get(e.metric)?.some((have) => wanted(e).every((pair) => have.has(pair))))
      .sort(byMetricThenName)
  }

  /** Strategies for a host bound to `nodes`, enabled or not, ordered by metric then name. */
  forHost(nodes: readonly string[]): Effective[] {
    const memoKey = [...nodes].sort().join(',')
    const cached = this.#hostMemo.get(memoKey)
    if (cached) return cached
    const seen = new Set<string>()
    const out: Effective[] = []
    for (const n of nodes) {
      if (!this.tree.byId.has(n)) continue
      for (const list of this.#forNode(n).values())
        for (const e of list) {
          if (seen.has(e.strategy.id)) continue
          seen.add(e.strategy.id)
          out.push(e)
        }
    }
    out.sort((a, b) => byMetricThenName(a.strategy, b.strategy))
    this.#hostMemo.set(memoKey, out)
    return out
  }
}
