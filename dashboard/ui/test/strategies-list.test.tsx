// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import type { StrategyView, TreeNodeView } from '../src/types.ts'
import { type Call, fakeApi } from './fake-api.tsx'
import { EDITOR, renderAt, strategyView, VIEWER } from './strategies-harness.tsx'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const node = (path: string, fields: Partial<TreeNodeView> = {}): TreeNodeView => ({
  id: `id-${path}`,
  parent: path.includes('.') ? `id-${path.slice(0, path.lastIndexOf('.'))}` : null,
  name: path.slice(path.lastIndexOf('.') + 1),
  owners: [],
  note: '',
  excludes: [],
  version: 1,
  path,
  ...fields,
})

/**
 * shop binds busy (cpu.busy) and disk (df.used mount=/); shop.web overrides cpu.busy with
 * web-busy and excludes the disk; shop.web.canary is where the list is looked at.
 */
function shop(canaryExcludes: TreeNodeView['excludes'] = []) {
  const nodes = [
    node('shop'),
    node('shop.web', { excludes: [{ metric: 'df.used', tags: 'mount=/' }] }),
    node('shop.web.canary', { excludes: canaryExcludes, version: 4 }),
    node('ops'),
  ]
  const strategies: StrategyView[] = [
    strategyView({ id: 's_busy', name: 'busy', node: 'shop', threshold: 90, receivers: ['ops'] }),
    strategyView({ id: 's_disk', name: 'disk', node: 'shop', metric: 'df.used', tags: 'mount=/' }),
    strategyView({ id: 's_load', name: 'load', node: 'shop', metric: 'load.1min', fn: 'avg', window: '5m' }),
    strategyView({ id: 's_webbusy', name: 'web-busy', node: 'shop.web', threshold: 30, priority: 1 }),
    strategyView({ id: 's_mine', name: 'canary-mem', node: 'shop.web.canary', metric: 'mem.used' }),
    strategyView({ id: 's_ops', name: 'ops-busy', node: 'ops' }),
  ]
  const expressions = [
    strategyView({ id: 's_expr', name: 'any-disk', node: null, metric: 'df.free', enabled: false }),
  ]
  return { nodes, strategies, expressions }
}

function routes(data: ReturnType<typeof shop>, extra: Record<string, (c: Call) => unknown> = {}) {
  return fakeApi({
    'GET /api/v1/tree': () => ({ nodes: data.nodes }),
    'GET /api/v1/strategies': (c) => ({
      strategies:
        c.query.get('expressions') === 'true'
          ? data.expressions
          : data.strategies.filter((s) => s.node === c.query.get('node')),
    }),
    ...extra,
  })
}

/** Each strategy row as [name, from, standing]. */
async function rows() {
  const table = await screen.findByRole('table', { name: 'Strategies' })
  await waitFor(() => expect(within(table).getAllByRole('row').length).toBeGreaterThan(1))
  return within(table)
    .getAllByRole('row')
    .slice(1)
    .map((r) => {
      const cells = within(r).getAllByRole('cell')
      return [cells[0]!.textContent, cells[4]!.textContent, cells[5]!.textContent]
    })
}

it('lists the node’s strategies and the inherited ones with their origin, overridden or excluded on the way', async () => {
  const calls = routes(shop())
  renderAt('/nodes/shop.web.canary/strategies')
  // By metric, and on one metric from the root down: an override sits under what it overrides.
  expect(await rows()).toEqual([
    ['busy', 'shop', 'overridden by shop.web'],
    ['web-busy', 'shop.web', 'applies'],
    ['disk', 'shop', 'excluded at shop.web'],
    ['load', 'shop', 'applies'],
    ['canary-mem', 'this node', 'applies'],
  ])
  // One list per node of the lineage, and the expressions; never the whole tree's strategies.
  const asked = calls.filter((c) => c.path === '/api/v1/strategies').map((c) => c.query.toString())
  expect(asked.sort()).toEqual(['expressions=true', 'node=shop', 'node=shop.web', 'node=shop.web.canary'])
  const table = screen.getByRole('table', { name: 'Strategies' })
  const busy = within(table).getByRole('row', { name: /web-busy/ })
  expect(within(busy).getByRole('link', { name: 'web-busy' }).getAttribute('href')).toBe(
    '/nodes/shop.web/strategies/s_webbusy',
  )
  expect(within(busy).getByRole('link', { name: 'shop.web' }).getAttribute('href')).toBe(
    '/nodes/shop.web/strategies',
  )
  expect(busy.textContent).toMatch(/cpu\.busy all\(#3\) > 30/)
  const expressions = screen.getByRole('table', { name: 'Expressions' })
  expect(expressions.textContent).toMatch(/any-disk \(disabled\).*df\.free all\(#3\) > 90/)
})

it('excludes an inherited strategy at the node, and takes the exclusion back, with the node’s version', async () => {
  const data = shop()
  const calls = routes(data, {
    'PUT /api/v1/tree/shop.web.canary': (c) => {
      const { excludes } = c.body as { excludes: TreeNodeView['excludes'] }
      data.nodes[2] = { ...data.nodes[2]!, excludes, version: data.nodes[2]!.version + 1 }
      return data.nodes[2]
    },
  })
  renderAt('/nodes/shop.web.canary/strategies')
  await rows()
  const strategies = screen.getByRole('table', { name: 'Strategies' })
  const load = () => within(strategies).getByRole('row', { name: /^load/ })
  fireEvent.click(within(load()).getByRole('button', { name: 'Exclude here' }))
  await waitFor(async () => expect((await rows()).find((r) => r[0] === 'load')?.[2]).toBe('excluded here'))
  expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({
    excludes: [{ metric: 'load.1min', tags: '' }],
    version: 4,
  })
  // Not applying any more, it is offered neither to override nor to exclude.
  expect(within(load()).queryByRole('button')).toBeNull()
  expect(within(load()).queryByRole('link', { name: 'Override here' })).toBeNull()

  const exclusions = screen.getByRole('table', { name: 'Exclusions' })
  fireEvent.click(within(exclusions).getByRole('button', { name: 'Remove exclusion' }))
  await waitFor(async () => expect((await rows()).find((r) => r[0] === 'load')?.[2]).toBe('applies'))
  expect(calls.filter((c) => c.method === 'PUT')[1]?.body).toEqual({ excludes: [], version: 5 })
  expect(screen.queryByRole('table', { name: 'Exclusions' })).toBeNull()
})

it('overrides an inherited strategy: the editor opens here, prefilled from it', async () => {
  routes(shop(), {
    'GET /api/v1/strategies/s_webbusy': () => shop().strategies[3],
    'GET /api/v1/teams': () => ({ teams: [] }),
    'POST /api/v1/strategies/backtest': () => new Promise(() => {}),
  })
  renderAt('/nodes/shop.web.canary/strategies')
  await rows()
  const override = within(screen.getByRole('row', { name: /web-busy/ })).getByRole('link', {
    name: 'Override here',
  })
  expect(override.getAttribute('href')).toBe('/nodes/shop.web.canary/strategies/new?override=s_webbusy')
  fireEvent.click(override)
  await screen.findByRole('heading', { name: 'Override web-busy (from shop.web) at shop.web.canary' })
  expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('web-busy')
  expect((screen.getByLabelText('Threshold') as HTMLInputElement).value).toBe('30')
  expect((screen.getByLabelText('Priority') as HTMLSelectElement).value).toBe('1')
  expect(screen.getByRole('button', { name: 'Create strategy' })).toBeTruthy()
})

it('offers a viewer, or an editor outside the node’s scope, no way to change anything', async () => {
  for (const me of [VIEWER, { ...EDITOR, scope: 'ops' }]) {
    routes(shop([{ metric: 'load.1min', tags: '' }]))
    renderAt('/nodes/shop.web.canary/strategies', me)
    expect((await rows()).length).toBe(5)
    expect(screen.getByRole('table', { name: 'Exclusions' })).toBeTruthy()
    expect(screen.queryAllByRole('button')).toEqual([])
    expect(screen.queryByRole('link', { name: /New strategy|Override here|Edit/ })).toBeNull()
    cleanup()
  }
  // An editor in scope gets them.
  routes(shop())
  renderAt('/nodes/shop.web.canary/strategies', { ...EDITOR, scope: 'shop.web' })
  await rows()
  expect(screen.getByRole('link', { name: 'New strategy' })).toBeTruthy()
  expect(screen.getAllByRole('button', { name: 'Exclude here' })).toHaveLength(2)
  expect(
    within(screen.getByRole('row', { name: /canary-mem/ })).getByRole('link', { name: 'Edit' }),
  ).toBeTruthy()
})
