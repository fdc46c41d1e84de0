import type { ConfigStore } from '@peregrine/common/nats'
import { type Strategy, StrategyResolver, Tree } from '@peregrine/common/schema'

/** What the judge needs of an endpoint: the strategies that may apply to it and where it is in the tree. */
export interface EndpointView {
  /**
   * Enabled strategies bound to the endpoint's nodes (inherited, overridden, excluded as the
   * resolver decides) and every enabled expression; the evaluator matches metric and tags.
   * The same array object until the configuration changes, so the evaluator binds once.
   */
  strategies: readonly Strategy[]
  /** Tree paths of the nodes the endpoint is bound to, carried by its events for scoped reads. */
  paths: readonly string[]
  /** The metrics these strategies name (their own and extra conditions): other series are not held. */
  metrics: ReadonlySet<string>
}

const metricsOf = (strategies: readonly Strategy[]) =>
  new Set(strategies.flatMap((s) => [s.metric, ...(s.also ?? []).map((c) => c.metric)]))

/**
 * The configuration as the judge reads it, rebuilt on every change (startConfigPasses) and
 * answered per endpoint from a cache: one lookup per series on the hot path.
 */
export class StrategyView {
  #resolver = new StrategyResolver(new Tree({ nodes: [] }), [])
  #nodes = new Map<string, readonly string[]>()
  #byId = new Map<string, Strategy>()
  #expressions: readonly Strategy[] = []
  #cache = new Map<string, EndpointView>()
  #unbound: EndpointView = { strategies: [], paths: [], metrics: new Set() }
  #enabled: Strategy[] = []

  /** Reads tree, hosts and strategies anew; the next lookups answer from them. */
  async load(config: ConfigStore): Promise<void> {
    const [{ tree }, hosts, strategies] = await Promise.all([
      config.tree(),
      config.hosts.list(),
      config.strategies.list(),
    ])
    this.replace(
      tree,
      hosts.map((h) => h.value),
      strategies.map((s) => s.value),
    )
  }

  replace(
    tree: Tree,
    hosts: readonly { host: string; nodes: readonly string[] }[],
    strategies: Strategy[],
  ): void {
    this.#resolver = new StrategyResolver(tree, strategies)
    this.#nodes = new Map(hosts.map((h) => [h.host, h.nodes]))
    this.#byId = new Map(strategies.map((s) => [s.id, s]))
    this.#expressions = this.#resolver.expressions.filter((s) => s.enabled)
    this.#unbound = { strategies: this.#expressions, paths: [], metrics: metricsOf(this.#expressions) }
    this.#enabled = strategies.filter((s) => s.enabled)
    this.#cache = new Map()
  }

  /** Every enabled strategy, bound or expression. */
  all(): readonly Strategy[] {
    return this.#enabled
  }

  strategy(id: string): Strategy | undefined {
    return this.#byId.get(id)
  }

  forEndpoint(endpoint: string): EndpointView {
    const cached = this.#cache.get(endpoint)
    if (cached) return cached
    const nodes = this.#nodes.get(endpoint)
    let view = this.#unbound
    if (nodes?.length) {
      const bound = this.#resolver
        .forHost(nodes)
        .map((e) => e.strategy)
        .filter((s) => s.enabled)
      const tree = this.#resolver.tree
      const strategies = [...bound, ...this.#expressions]
      view = { strategies, paths: nodes.flatMap((n) => tree.path(n) ?? []), metrics: metricsOf(strategies) }
    }
    this.#cache.set(endpoint, view)
    return view
  }
}
