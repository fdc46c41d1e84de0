// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeAll, expect, it, vi } from 'vitest'
import { describeQuery, type MetricQuery } from '../src/chart/history.ts'
import ExplorePage from '../src/pages/explore/ExplorePage.tsx'
import {
  decodeQuery,
  encodeQuery,
  exploreHref,
  readExplore,
  writeExplore,
} from '../src/pages/explore/explore-url.ts'
import { QueryForm } from '../src/pages/explore/QueryForm.tsx'
import { tagChoices, tagsText } from '../src/pages/explore/tags.ts'
import { SUGGEST_DELAY_MS } from '../src/pages/explore/use-suggestions.ts'
import type { SeriesInfo } from '../src/types.ts'
import { installFakeCanvas } from './charts-fake-canvas.ts'
import { type Call, currentUrl, fakeApi, renderSignedIn } from './fake-api.tsx'

beforeAll(installFakeCanvas)
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

it('writes queries into the URL and reads them back exactly, whatever the names hold', () => {
  const queries: MetricQuery[] = [
    { endpoint: 'web-1', metric: 'cpu.busy', tags: '' },
    { endpoint: 'web-', prefix: true, metric: 'net.if.in.bytes', tags: 'iface=eth0' },
    { endpoint: 'db-1', metric: 'cpu.idle', tags: '', untagged: true },
    { endpoint: 'odd|*%41é', metric: 'a|b*c%', tags: 'k=v|*,path=/x%2F' },
    { endpoint: '', prefix: true, metric: 'load.1min', tags: '' },
  ]
  const params = writeExplore(new URLSearchParams('from=now-6h&to=now&refresh=30'), { queries, step: 10 })
  const url = new URL(`http://ui.test/explore?${params}`)
  const back = readExplore(url.searchParams)
  expect(back).toEqual({ queries, step: 10 })
  expect(url.searchParams.get('from')).toBe('now-6h')
  expect(url.searchParams.get('refresh')).toBe('30')
  expect(encodeQuery(queries[0]!)).toBe('web-1|cpu.busy|')
  expect(encodeQuery(queries[1]!)).toBe('web-*|net.if.in.bytes|iface=eth0')
  expect(encodeQuery(queries[2]!)).toBe('db-1|cpu.idle|-')
  expect(queries.slice(0, 3).map(describeQuery)).toEqual([
    'web-1 cpu.busy',
    'web-* net.if.in.bytes{iface=eth0}',
    'db-1 cpu.idle (untagged)',
  ])
})

it('ignores what a hand-edited link gets wrong instead of failing', () => {
  expect(decodeQuery('web-1|cpu.busy')).toBeNull()
  expect(decodeQuery('web-1||')).toBeNull()
  expect(decodeQuery('|cpu.busy|')).toBeNull()
  expect(decodeQuery('web%zz|cpu.busy|')).toBeNull()
  const params = new URLSearchParams('q=nonsense&q=web-1|load.1min|&step=1.5')
  expect(readExplore(params)).toEqual({ queries: [{ endpoint: 'web-1', metric: 'load.1min', tags: '' }] })
  expect(readExplore(new URLSearchParams('step=0')).step).toBeUndefined()
  expect(readExplore(new URLSearchParams(`step=${86_400 * 32}`)).step).toBeUndefined()
  expect(readExplore(new URLSearchParams('step=60')).step).toBe(60)
})

it('links to the explorer with a range, leaving out an automatic step', () => {
  const href = exploreHref(
    { queries: [{ endpoint: 'h', metric: 'm', tags: '' }] },
    { spec: { from: 'now-6h', to: 'now' }, refresh: 0 },
  )
  const url = new URL(href, 'http://ui.test')
  expect(url.pathname).toBe('/explore')
  expect([...url.searchParams.keys()].sort()).toEqual(['from', 'q', 'to'])
})

it('offers each tag key with its values, and writes the chosen ones canonically', () => {
  const { keys, untagged } = tagChoices(['', 'core=10', 'core=2', 'core=2,dc=east'])
  expect(keys).toEqual([
    ['core', ['2', '10']],
    ['dc', ['east']],
  ])
  expect(untagged).toBe(true)
  expect(tagsText({ dc: 'east', core: '2', mount: '' })).toBe('core=2,dc=east')
})

const SERIES: SeriesInfo[] = [
  { endpoint: 'web-1', metric: 'cpu.busy', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=0', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=1', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.idle', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-10', metric: 'cpu.steal', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
]

/** The monitor API over SERIES, as the explorer asks it. */
const MONITOR = {
  'GET /api/v1/endpoints': ({ query }: Call) => ({
    endpoints: ['web-1', 'web-10', 'web-2']
      .filter((e) => e.startsWith(query.get('prefix') ?? ''))
      .map((endpoint) => ({ endpoint, agent: 'a', lastSeen: 1 })),
  }),
  'GET /api/v1/series': ({ query }: Call) => ({
    series: SERIES.filter(
      (s) =>
        s.endpoint.startsWith(query.get('endpoint') ?? '') && s.metric.startsWith(query.get('metric') ?? ''),
    ),
  }),
  'GET /api/v1/history': ({ query }: Call) => ({
    from: Number(query.get('from')),
    to: Number(query.get('to')),
    series: SERIES.filter(
      (s) => s.endpoint === query.get('endpoint') && s.metric === query.get('metric'),
    ).map(({ lastSeen: _, ...s }) => ({
      ...s,
      resolution: 'raw',
      interval: 10,
      timestamps: [1, 2],
      values: [3, 4],
    })),
  }),
}

const ME = { tokenId: 'tok', name: 'tester', role: 'viewer', scope: '' } as const

/** The values the input's suggestion list offers. */
function offered(input: HTMLElement): string[] {
  const list = document.getElementById(input.getAttribute('list') ?? '')
  return Array.from(list?.querySelectorAll('option') ?? [], (o) => o.value)
}

const type = (input: HTMLElement, value: string) => fireEvent.change(input, { target: { value } })

it('asks for suggestions once typing pauses, and a slow answer never replaces a fresher one', async () => {
  const answers: ((names: string[]) => void)[] = []
  const calls = fakeApi({
    'GET /api/v1/endpoints': () =>
      new Promise((resolve) =>
        answers.push((names) =>
          resolve({ endpoints: names.map((endpoint) => ({ endpoint, agent: 'a', lastSeen: 1 })) }),
        ),
      ),
  })
  renderSignedIn(<QueryForm onAdd={() => {}} />, { me: ME })
  const asked = () => calls.filter((c) => c.path === '/api/v1/endpoints')
  const endpoint = screen.getByRole('combobox', { name: 'Endpoint' })
  await waitFor(() => expect(asked()).toHaveLength(1))
  type(endpoint, 'w')
  type(endpoint, 'we')
  await waitFor(() => expect(asked()).toHaveLength(2))
  // Nothing was asked for "w": typing went on within the pause.
  expect(asked().map((c) => c.query.get('prefix'))).toEqual([null, 'we'])
  expect(asked()[0]!.signal!.aborted).toBe(true)
  type(endpoint, 'web')
  await waitFor(() => expect(asked()).toHaveLength(3))
  expect(asked()[1]!.signal!.aborted).toBe(true)
  await act(async () => answers[2]!(['web-1', 'web-2']))
  await act(async () => answers[1]!(['stale']))
  expect(offered(endpoint)).toEqual(['web-1', 'web-2'])
  await act(() => new Promise((r) => setTimeout(r, SUGGEST_DELAY_MS * 2)))
  expect(asked()).toHaveLength(3)
})

it('builds a query from suggested endpoint and metric and the tags their series have', async () => {
  const calls = fakeApi(MONITOR)
  const added = vi.fn()
  renderSignedIn(<QueryForm onAdd={added} />, { me: ME })
  const add = screen.getByRole('button', { name: 'Add query' })
  expect(add).toHaveProperty('disabled', true)
  const endpoint = screen.getByRole('combobox', { name: 'Endpoint' })
  type(endpoint, 'web')
  await waitFor(() => expect(offered(endpoint)).toEqual(['web-1', 'web-10', 'web-2']))
  type(endpoint, 'web-1')
  const metric = screen.getByRole('combobox', { name: 'Metric' })
  type(metric, 'cpu.')
  // web-10's metric is not offered for web-1: the API's endpoint prefix is narrowed to the name.
  await waitFor(() => expect(offered(metric)).toEqual(['cpu.busy', 'cpu.idle']))
  type(metric, 'cpu.busy')
  const core = await screen.findByRole('combobox', { name: 'Tag core' })
  expect(
    within(core)
      .getAllByRole('option')
      .map((o) => o.textContent),
  ).toEqual(['any', '0', '1'])
  fireEvent.change(core, { target: { value: '1' } })
  fireEvent.click(add)
  expect(added).toHaveBeenLastCalledWith({ endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=1' })
  const metricAsks = calls.filter(
    (c) => c.path === '/api/v1/series' && c.query.get('metric')?.startsWith('cpu'),
  )
  expect(metricAsks.length).toBeGreaterThan(0)
  expect(metricAsks.every((c) => c.query.get('endpoint') === 'web-1')).toBe(true)

  type(metric, 'cpu.busy')
  fireEvent.click(await screen.findByRole('checkbox', { name: 'only untagged series' }))
  fireEvent.click(add)
  expect(added).toHaveBeenLastCalledWith({ endpoint: 'web-1', metric: 'cpu.busy', tags: '', untagged: true })
})

it('opens a shared URL with its queries, range and step, and asks the API for exactly that', async () => {
  const calls = fakeApi(MONITOR)
  const url = `/explore?q=${encodeURIComponent('web-1|cpu.busy|-')}&q=${encodeURIComponent('web-*|cpu.idle|')}&from=1000&to=5000&step=10`
  renderSignedIn(<ExplorePage />, { me: ME, url })
  const queries = await screen.findByRole('table', { name: 'Queries' })
  expect(
    within(queries)
      .getAllByRole('row')
      .slice(1)
      .map((r) => (r as HTMLTableRowElement).cells[0]!.textContent),
  ).toEqual(['web-1 cpu.busy (untagged)', 'web-* cpu.idle'])
  expect(screen.getByRole('combobox', { name: 'Resolution' })).toHaveProperty('value', '10')
  await waitFor(() => expect(screen.getByTestId('chart-status').textContent).toMatch(/^2 series · 4 points/))
  const history = calls.filter((c) => c.path === '/api/v1/history')
  expect(history.map((c) => [c.query.get('endpoint'), c.query.get('metric')])).toEqual([
    ['web-1', 'cpu.busy'],
    ['web-1', 'cpu.idle'],
  ])
  expect(history.every((c) => c.query.get('from') === '1000' && c.query.get('to') === '5000')).toBe(true)
  expect(history.every((c) => c.query.get('step') === '10')).toBe(true)
  // web-1 cpu.busy untagged: its core series are left out.
  expect(screen.getAllByRole('switch').map((s) => s.textContent)).toEqual([
    'web-1 cpu.busy',
    'web-1 cpu.idle',
  ])

  fireEvent.click(screen.getByRole('button', { name: 'Remove web-1 cpu.busy (untagged)' }))
  expect(new URL(currentUrl()!, 'http://ui.test').searchParams.getAll('q')).toEqual(['web-*|cpu.idle|'])
  fireEvent.change(screen.getByRole('combobox', { name: 'Resolution' }), { target: { value: '' } })
  expect(currentUrl()).not.toMatch(/step=/)
  expect(currentUrl()).toMatch(/from=1000&to=5000/)
})
