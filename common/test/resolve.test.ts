import { describe, expect, it } from 'vitest'
import { type Strategy, StrategyResolver, StrategySpec, Tree, type TreeNode } from '../src/index.ts'

const node = (id: string, parent: string | null, extra: Partial<TreeNode> = {}): TreeNode => ({
  id,
  parent,
  name: id,
  owners: [],
  note: '',
  excludes: [],
  version: 1,
  ...extra,
})

let n = 0
const strategy = (nodeId: string | null, metric: string, tags = '', name = `s${++n}`): Strategy => ({
  ...StrategySpec.parse({ name, metric, tags, fn: 'all', window: '#3', threshold: 90 }),
  id: `${nodeId}-${name}`,
  node: nodeId,
})

//   corp ─ infra ─ web ─ nginx
//        │       └ db
//        └ shop (excludes cpu.busy)
const tree = new Tree({
  nodes: [
    node('corp', null),
    node('infra', 'corp'),
    node('web', 'infra'),
    node('nginx', 'web'),
    node('db', 'infra'),
    node('shop', 'corp', { excludes: [{ metric: 'cpu.busy', tags: '' }] }),
  ],
})

describe('strategy resolution', () => {
  const cpu = strategy('corp', 'cpu.busy', '', 'cpu')
  const disk = strategy('corp', 'df.bytes.used.percent', 'mount=/', 'disk')
  const webCpuWarn = strategy('web', 'cpu.busy', '', 'web-cpu-warn')
  const webCpuCrit = strategy('web', 'cpu.busy', '', 'web-cpu-crit')
  const nginxPort = strategy('nginx', 'net.port.listen', 'port=80', 'port')
  const dbDisk = strategy('db', 'df.bytes.used.percent', 'mount=/data', 'data')
  const expr = strategy(null, 'app.errors', 'svc=api', 'expr')
  const orphan = strategy('gone', 'mem.memused.percent', '', 'orphan')
  const r = new StrategyResolver(tree, [cpu, disk, webCpuWarn, webCpuCrit, nginxPort, dbDisk, expr, orphan])
  const names = (nodes: string[]) => r.forHost(nodes).map((e) => `${e.strategy.name}@${e.node}`)

  it('inherits down the tree', () => {
    expect(names(['infra'])).toEqual(['cpu@corp', 'disk@corp'])
    expect(names(['db'])).toEqual(['cpu@corp', 'data@db', 'disk@corp'])
  })
  it('lets the nearest node override every inherited strategy on the same metric + tags', () => {
    expect(names(['web'])).toEqual(['web-cpu-crit@web', 'web-cpu-warn@web', 'disk@corp'])
    expect(names(['nginx'])).toEqual(['web-cpu-crit@web', 'web-cpu-warn@web', 'disk@corp', 'port@nginx'])
  })
  it('keeps strategies on other tags of the same metric', () => {
    expect(names(['db']).filter((s) => s.startsWith('d'))).toEqual(['data@db', 'disk@corp'])
  })
  it('lets a node exclude an inherited strategy', () => {
    expect(names(['shop'])).toEqual(['disk@corp'])
  })
  it('unites the nodes a host is bound to, once each', () => {
    expect(names(['shop', 'db'])).toEqual(['cpu@corp', 'data@db', 'disk@corp'])
    expect(names(['nginx', 'web'])).toEqual(names(['nginx']))
  })
  it('keeps expressions apart and ignores strategies of deleted nodes', () => {
    expect(r.expressions.map((s) => s.name)).toEqual(['expr'])
    expect(names(['corp']).some((s) => s.startsWith('orphan'))).toBe(false)
    expect(names(['gone'])).toEqual([])
  })

  it('resolves 100,000 hosts against 10,000 strategies in seconds', () => {
    // 10 regions × 10 services × 10 clusters = 1,000 leaf nodes under 111 inner nodes.
    const nodes: TreeNode[] = [node('root', null)]
    const leaves: string[] = []
    for (let a = 0; a < 10; a++) {
      nodes.push(node(`r${a}`, 'root'))
      for (let b = 0; b < 10; b++) {
        nodes.push(node(`r${a}s${b}`, `r${a}`))
        for (let c = 0; c < 10; c++) {
          nodes.push(node(`r${a}s${b}c${c}`, `r${a}s${b}`))
          leaves.push(`r${a}s${b}c${c}`)
        }
      }
    }
    const big = new Tree({ nodes })
    const strategies: Strategy[] = []
    for (let i = 0; i < 10_000; i++) {
      const at =
        i < 2000
          ? 'root'
          : i < 5000
            ? `r${i % 10}`
            : i < 8000
              ? `r${i % 10}s${(i >> 4) % 10}`
              : leaves[i % 1000]!
      strategies.push(strategy(at, `metric.${i % 3000}`, i % 7 === 0 ? `k=${i % 5}` : ''))
    }
    const t = performance.now()
    const resolver = new StrategyResolver(big, strategies)
    let total = 0
    for (let h = 0; h < 100_000; h++) total += resolver.forHost([leaves[h % 1000]!]).length
    const seconds = (performance.now() - t) / 1000
    expect(total).toBeGreaterThan(100_000 * 1000)
    expect(seconds).toBeLessThan(10)
  })
})
