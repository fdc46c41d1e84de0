import { StrategyResolver } from '@peregrine/common/model/resolve'
import type { Strategy } from '@peregrine/common/model/strategy'
import { Tree, type TreeNode } from '@peregrine/common/model/tree'
import { expect, it } from 'vitest'
import { resolveAt } from '../src/pages/strategies/resolution.ts'
import type { StrategyView } from '../src/types.ts'
import { strategyView } from './strategies-harness.tsx'

type Key = { metric: string; tags: string }

/** A stored strategy as the resolver reads it (node id) and as the API shows it (node path). */
function strategy(id: string, node: string, key: Key, tree: Tree): { model: Strategy; view: StrategyView } {
  const view = strategyView({ id, name: id, node: tree.path(node) ?? null, ...key })
  const { revision: _, ...model } = view
  return { model: { ...model, node }, view }
}

const nodeViews = (tree: Tree) => tree.doc.nodes.map((n) => ({ ...n, path: tree.path(n.id)! }))

/** A small deterministic generator (mulberry32): the same trees on every run. */
function random(seed: number) {
  let a = seed
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)
  }
}

const KEYS: Key[] = [
  { metric: 'cpu.busy', tags: '' },
  { metric: 'cpu.busy', tags: 'core=0' },
  { metric: 'df.used', tags: 'mount=/' },
]

it('applies exactly the strategies the server’s StrategyResolver applies, at every node of random trees', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const pick = random(seed)
    const nodes: TreeNode[] = []
    for (let i = 0; i < 3 + pick(10); i++) {
      const parent = i === 0 || pick(4) === 0 ? null : nodes[pick(nodes.length)]!.id
      const excludes = pick(3) === 0 ? [KEYS[pick(KEYS.length)]!] : []
      nodes.push({ id: `n${i}`, parent, name: `n${i}`, owners: [], note: '', excludes, version: 1 })
    }
    const tree = new Tree({ nodes })
    const made = Array.from({ length: pick(12) }, (_, i) =>
      strategy(`s${i}`, nodes[pick(nodes.length)]!.id, KEYS[pick(KEYS.length)]!, tree),
    )
    const resolver = new StrategyResolver(
      tree,
      made.map((m) => m.model),
    )
    for (const n of nodes) {
      const path = tree.path(n.id)!
      const server = resolver
        .forHost([n.id])
        .map((e) => [e.strategy.id, tree.path(e.node)])
        .sort()
      const ui = resolveAt(
        path,
        nodeViews(tree),
        made.map((m) => m.view),
      )
      const applying = ui
        .filter((r) => r.standing.kind === 'applies')
        .map((r) => [r.strategy.id, r.from])
        .sort()
      expect(applying, `seed ${seed}, node ${path}`).toEqual(server)
      // What does not apply is bound above (or here) and names the node on the way that stops it.
      for (const r of ui.filter((x) => x.standing.kind !== 'applies')) {
        const stopper = r.standing.kind === 'overridden' ? r.standing.by : (r.standing as { at: string }).at
        expect(path === stopper || path.startsWith(`${stopper}.`)).toBe(true)
        expect(stopper.startsWith(`${r.from}.`)).toBe(true)
      }
    }
  }
})

it('names the origin of inherited strategies and the node that overrides or excludes them', () => {
  const nodes: TreeNode[] = [
    { id: 'a', parent: null, name: 'shop', owners: [], note: '', excludes: [], version: 1 },
    {
      id: 'b',
      parent: 'a',
      name: 'web',
      owners: [],
      note: '',
      excludes: [{ metric: 'df.used', tags: 'mount=/' }],
      version: 3,
    },
    {
      id: 'c',
      parent: 'b',
      name: 'nginx',
      owners: [],
      note: '',
      excludes: [{ metric: 'cpu.busy', tags: '' }],
      version: 1,
    },
  ]
  const tree = new Tree({ nodes })
  const views = [
    strategy('busy-shop', 'a', KEYS[0]!, tree),
    strategy('busy-web', 'b', KEYS[0]!, tree),
    strategy('disk-shop', 'a', KEYS[2]!, tree),
    strategy('core-shop', 'a', KEYS[1]!, tree),
    strategy('busy-nginx', 'c', KEYS[0]!, tree),
    strategy('disk-web', 'b', KEYS[2]!, tree),
  ].map((s) => s.view)
  const standing = (path: string) =>
    Object.fromEntries(
      resolveAt(path, nodeViews(tree), views).map((r) => [r.strategy.id, [r.from, r.standing]]),
    )
  expect(standing('shop.web')).toEqual({
    'busy-shop': ['shop', { kind: 'overridden', by: 'shop.web' }],
    'busy-web': ['shop.web', { kind: 'applies' }],
    'core-shop': ['shop', { kind: 'applies' }],
    // The node excludes what it binds itself: its own still apply, the inherited one does not.
    'disk-shop': ['shop', { kind: 'overridden', by: 'shop.web' }],
    'disk-web': ['shop.web', { kind: 'applies' }],
  })
  // nginx binds cpu.busy itself and excludes it: its own applies, the ones above are overridden
  // (the nearest override is named), and the exclusion of its parent holds for the disk.
  const nginx = standing('shop.web.nginx')
  expect(nginx['busy-nginx']).toEqual(['shop.web.nginx', { kind: 'applies' }])
  expect(nginx['busy-web']).toEqual(['shop.web', { kind: 'overridden', by: 'shop.web.nginx' }])
  expect(nginx['busy-shop']).toEqual(['shop', { kind: 'overridden', by: 'shop.web' }])
  expect(nginx['core-shop']).toEqual(['shop', { kind: 'applies' }])
  // Strategies bound below the node, or elsewhere, are not listed.
  expect(Object.keys(standing('shop')).sort()).toEqual(['busy-shop', 'core-shop', 'disk-shop'])
})

it('lists an inherited strategy as excluded at the node whose exclusion removes it', () => {
  const nodes: TreeNode[] = [
    { id: 'a', parent: null, name: 'shop', owners: [], note: '', excludes: [], version: 1 },
    { id: 'b', parent: 'a', name: 'web', owners: [], note: '', excludes: [KEYS[0]!], version: 1 },
    { id: 'c', parent: 'b', name: 'canary', owners: [], note: '', excludes: [], version: 1 },
  ]
  const tree = new Tree({ nodes })
  const views = [strategy('busy', 'a', KEYS[0]!, tree).view]
  expect(resolveAt('shop.web', nodeViews(tree), views)[0]?.standing).toEqual({
    kind: 'excluded',
    at: 'shop.web',
  })
  expect(resolveAt('shop.web.canary', nodeViews(tree), views)[0]?.standing).toEqual({
    kind: 'excluded',
    at: 'shop.web',
  })
  expect(resolveAt('shop', nodeViews(tree), views)[0]?.standing).toEqual({ kind: 'applies' })
})
