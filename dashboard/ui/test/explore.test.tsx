// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { type ReactNode, useState } from 'react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { afterEach, beforeAll, expect, it, vi } from 'vitest'
import type { MetricQuery } from '../src/chart/history.ts'
import { Autocomplete } from '../src/pages/explore/Autocomplete.tsx'
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
import { SessionProvider } from '../src/session.tsx'
import { installFakeCanvas } from './charts-fake-canvas.ts'

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

/** A suggest function whose answers the test releases, recording what was asked. */
function controlledSuggest() {
  const calls: { prefix: string; signal: AbortSignal; answer(options: string[]): void }[] = []
  const suggest = (prefix: string, signal: AbortSignal) =>
    new Promise<string[]>((resolve) => calls.push({ prefix, signal, answer: resolve }))
  return { calls, suggest }
}

function Controlled({
  suggest,
  start = '',
}: {
  suggest(p: string, s: AbortSignal): Promise<string[]>
  start?: string
}) {
  const [value, setValue] = useState(start)
  return (
    <>
      <Autocomplete label="Endpoint" value={value} onChange={setValue} suggest={suggest} />
      <output aria-label="chosen">{value}</output>
    </>
  )
}

it('asks for suggestions once typing pauses, drops a stale answer, and takes one by keyboard', async () => {
  const { calls, suggest } = controlledSuggest()
  render(<Controlled suggest={suggest} />)
  const input = screen.getByRole('combobox', { name: 'Endpoint' })
  fireEvent.focus(input)
  fireEvent.change(input, { target: { value: 'w' } })
  fireEvent.change(input, { target: { value: 'we' } })
  await waitFor(() => expect(calls).toHaveLength(1))
  expect(calls[0]!.prefix).toBe('we')
  fireEvent.change(input, { target: { value: 'web' } })
  await waitFor(() => expect(calls).toHaveLength(2))
  expect(calls[0]!.signal.aborted).toBe(true)
  await act(async () => calls[1]!.answer(['web-1', 'web-2']))
  // The older request answering late changes nothing.
  await act(async () => calls[0]!.answer(['wrong']))
  const list = screen.getByRole('listbox', { name: 'Endpoint suggestions' })
  expect(
    within(list)
      .getAllByRole('option')
      .map((o) => o.textContent),
  ).toEqual(['web-1', 'web-2'])
  expect(input.getAttribute('aria-expanded')).toBe('true')
  fireEvent.keyDown(input, { key: 'ArrowDown' })
  fireEvent.keyDown(input, { key: 'ArrowDown' })
  expect(input.getAttribute('aria-activedescendant')).toBe(within(list).getAllByRole('option')[1]!.id)
  fireEvent.keyDown(input, { key: 'Enter' })
  expect(screen.getByRole('status', { name: 'chosen' }).textContent).toBe('web-2')
  expect(input.getAttribute('aria-expanded')).toBe('false')
})

it('closes the suggestions on Escape and takes one by mouse', async () => {
  const { calls, suggest } = controlledSuggest()
  render(<Controlled suggest={suggest} start="db" />)
  const input = screen.getByRole('combobox', { name: 'Endpoint' })
  fireEvent.focus(input)
  await waitFor(() => expect(calls).toHaveLength(1))
  await act(async () => calls[0]!.answer(['db-1', 'db-2']))
  fireEvent.keyDown(input, { key: 'Escape' })
  expect(input.getAttribute('aria-expanded')).toBe('false')
  fireEvent.keyDown(input, { key: 'ArrowDown' })
  await waitFor(() => expect(calls).toHaveLength(2))
  await act(async () => calls[1]!.answer(['db-1', 'db-2']))
  fireEvent.mouseDown(screen.getByRole('option', { name: 'db-1' }))
  expect(screen.getByRole('status', { name: 'chosen' }).textContent).toBe('db-1')
})

const SERIES = [
  { endpoint: 'web-1', metric: 'cpu.busy', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=0', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=1', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-1', metric: 'cpu.idle', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
  { endpoint: 'web-10', metric: 'cpu.steal', tags: '', counterType: 'GAUGE', step: 10, lastSeen: 1 },
]

/** The API as the explorer calls it, from a fixed set of series; every URL asked is recorded. */
function fakeApi() {
  const asked: URL[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string) => {
      const url = new URL(input, 'http://ui.test')
      asked.push(url)
      const q = url.searchParams
      const body =
        url.pathname === '/api/v1/endpoints'
          ? {
              endpoints: ['web-1', 'web-10', 'web-2']
                .filter((e) => e.startsWith(q.get('prefix') ?? ''))
                .map((endpoint) => ({ endpoint, agent: 'a', lastSeen: 1 })),
            }
          : url.pathname === '/api/v1/series'
            ? {
                series: SERIES.filter(
                  (s) =>
                    s.endpoint.startsWith(q.get('endpoint') ?? '') &&
                    s.metric.startsWith(q.get('metric') ?? ''),
                ),
              }
            : {
                from: Number(q.get('from')),
                to: Number(q.get('to')),
                series: SERIES.filter(
                  (s) => s.endpoint === q.get('endpoint') && s.metric === q.get('metric'),
                ).map((s) => ({ ...s, resolution: 'raw', interval: 10, timestamps: [1, 2], values: [3, 4] })),
              }
      return new Response(JSON.stringify(body), { status: 200 })
    }),
  )
  return asked
}

const ME = { tokenId: 'tok', name: 'tester', role: 'viewer', scope: '' } as const
const signedIn = (children: ReactNode) => (
  <SessionProvider token="t" me={ME} onSignOut={() => {}}>
    {children}
  </SessionProvider>
)

async function choose(name: string, typed: string, option: string) {
  const input = screen.getByRole('combobox', { name })
  fireEvent.focus(input)
  fireEvent.change(input, { target: { value: typed } })
  fireEvent.mouseDown(await screen.findByRole('option', { name: option }))
}

it('builds a query from suggested endpoint and metric and the tags their series have', async () => {
  const asked = fakeApi()
  const added = vi.fn()
  render(signedIn(<QueryForm onAdd={added} />))
  const add = screen.getByRole('button', { name: 'Add query' })
  expect(add).toHaveProperty('disabled', true)
  await choose('Endpoint', 'web', 'web-1')
  await choose('Metric', 'cpu.', 'cpu.busy')
  // web-10's metric is not offered for web-1: the API's endpoint prefix is narrowed to the name.
  expect(screen.queryByRole('option', { name: 'cpu.steal' })).toBeNull()
  const core = await screen.findByRole('combobox', { name: 'Tag core' })
  expect(
    within(core)
      .getAllByRole('option')
      .map((o) => o.textContent),
  ).toEqual(['any', '0', '1'])
  fireEvent.change(core, { target: { value: '1' } })
  fireEvent.click(add)
  expect(added).toHaveBeenLastCalledWith({ endpoint: 'web-1', metric: 'cpu.busy', tags: 'core=1' })
  const metricAsks = asked.filter((u) => u.pathname === '/api/v1/series')
  expect(metricAsks.every((u) => u.searchParams.get('endpoint') === 'web-1')).toBe(true)

  await choose('Metric', 'cpu.b', 'cpu.busy')
  fireEvent.click(await screen.findByRole('checkbox', { name: 'only untagged series' }))
  fireEvent.click(add)
  expect(added).toHaveBeenLastCalledWith({ endpoint: 'web-1', metric: 'cpu.busy', tags: '', untagged: true })
})

function Where() {
  const l = useLocation()
  return <output aria-label="location">{`${l.pathname}${l.search}`}</output>
}

it('opens a shared URL with its queries, range and step, and asks the API for exactly that', async () => {
  const asked = fakeApi()
  const url = `/explore?q=${encodeURIComponent('web-1|cpu.busy|-')}&q=${encodeURIComponent('web-*|cpu.idle|')}&from=1000&to=5000&step=10`
  render(
    signedIn(
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route
            path="/explore"
            element={
              <>
                <ExplorePage />
                <Where />
              </>
            }
          />
        </Routes>
      </MemoryRouter>,
    ),
  )
  const queries = await screen.findByRole('table', { name: 'Queries' })
  expect(
    within(queries)
      .getAllByRole('row')
      .slice(1)
      .map((r) => (r as HTMLTableRowElement).cells[0]!.textContent),
  ).toEqual(['web-1 cpu.busy (untagged)', 'web-* cpu.idle'])
  expect(screen.getByRole('combobox', { name: 'Resolution' })).toHaveProperty('value', '10')
  await waitFor(() => expect(screen.getByTestId('chart-status').textContent).toMatch(/^2 series · 4 points/))
  const history = asked.filter((u) => u.pathname === '/api/v1/history')
  expect(history.map((u) => [u.searchParams.get('endpoint'), u.searchParams.get('metric')])).toEqual([
    ['web-1', 'cpu.busy'],
    ['web-1', 'cpu.idle'],
  ])
  expect(
    history.every((u) => u.searchParams.get('from') === '1000' && u.searchParams.get('to') === '5000'),
  ).toBe(true)
  expect(history.every((u) => u.searchParams.get('step') === '10')).toBe(true)
  // web-1 cpu.busy untagged: its core series are left out.
  expect(screen.getAllByRole('switch').map((s) => s.textContent)).toEqual([
    'web-1 cpu.busy',
    'web-1 cpu.idle',
  ])

  fireEvent.click(screen.getByRole('button', { name: 'Remove web-1 cpu.busy (untagged)' }))
  const location = screen.getByRole('status', { name: 'location' })
  expect(new URL(location.textContent!, 'http://ui.test').searchParams.getAll('q')).toEqual([
    'web-*|cpu.idle|',
  ])
  fireEvent.change(screen.getByRole('combobox', { name: 'Resolution' }), { target: { value: '' } })
  expect(location.textContent).not.toMatch(/step=/)
  expect(location.textContent).toMatch(/from=1000&to=5000/)
})
