// @vitest-environment happy-dom
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { Route, Routes } from 'react-router'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_PREFIX_ENDPOINTS } from '../src/chart/history.ts'
import {
  addChart,
  addQuery,
  bodyOf,
  draftOf,
  editChart,
  editQuery,
  moveChart,
  removeChart,
  removeQuery,
} from '../src/pages/screens/draft.ts'
import { ScreenChart } from '../src/pages/screens/ScreenChart.tsx'
import ScreenEditor from '../src/pages/screens/ScreenEditor.tsx'
import ScreenList from '../src/pages/screens/ScreenList.tsx'
import type { ScreenView } from '../src/pages/screens/types.ts'
import type { Role } from '../src/session.tsx'
import { installFakeCanvas } from './charts-fake-canvas.ts'
import { type Answer, type Call, currentUrl, fakeApi, Reply, renderSignedIn } from './fake-api.tsx'

const stored: ScreenView = {
  id: 'sc_1',
  node: 'shop.web',
  nodeId: 'n_1',
  name: 'Web overview',
  charts: [
    { title: 'CPU', unit: '%', queries: [{ endpoint: 'web-*', metric: 'cpu.busy', tags: '' }] },
    {
      title: 'Disk',
      height: 200,
      queries: [
        { endpoint: 'web-1', metric: 'df.bytes.used.percent', tags: 'mount=/' },
        { endpoint: 'web-2', metric: 'df.bytes.used.percent', tags: 'mount=/' },
      ],
    },
  ],
  createdBy: 'alice',
  createdAt: 1_700_000_000,
  updatedBy: 'alice',
  updatedAt: 1_700_000_000,
  revision: 7,
}

/** The API as the page sees it: answers by `METHOD /path`, every call recorded. */
let routes: Record<string, Answer>
let calls: Call[]

beforeAll(installFakeCanvas)

beforeEach(() => {
  routes = {}
  calls = fakeApi(routes)
})

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

function renderAt(url: string, role: Role = 'editor', scope = '') {
  return renderSignedIn(
    <Routes>
      <Route path="nodes/:path/screens" element={<ScreenList />} />
      <Route path="nodes/:path/screens/new" element={<ScreenEditor />} />
      <Route path="nodes/:path/screens/:id/edit" element={<ScreenEditor />} />
      {/* Where a save goes: the screen's page, not under test here. */}
      <Route path="*" element={null} />
    </Routes>,
    { me: { tokenId: 't_1', name: 'tester', role, scope }, url },
  )
}

const chartGroup = (n: number) => screen.getByRole('group', { name: new RegExp(`^Chart ${n}\\b`) })
const sent = (method: string) => calls.filter((c) => c.method === method)

describe('the draft of a screen', () => {
  it('adds, edits, reorders and removes charts and queries, and sends only what is set', () => {
    let d = draftOf(stored, 'shop.web')
    expect(bodyOf(d)).toEqual({
      node: 'shop.web',
      name: 'Web overview',
      charts: stored.charts,
    })
    d = addChart(d)
    expect(d.charts.map((c) => c.title)).toEqual(['CPU', 'Disk', 'Chart 3'])
    d = editChart(d, 2, { title: 'Load', unit: '  ', height: '' })
    d = editQuery(d, 2, 0, { endpoint: 'db-1', metric: 'load.1min' })
    d = addQuery(d, 2)
    d = editQuery(d, 2, 1, { endpoint: 'web-1', metric: 'load.1min', tags: 'a=1' })
    d = removeQuery(d, 2, 0)
    const keys = d.charts.map((c) => c.key)
    d = moveChart(d, 2, -2)
    expect(d.charts.map((c) => c.key)).toEqual([keys[2], keys[0], keys[1]])
    expect(moveChart(d, 0, -1)).toBe(d)
    expect(moveChart(d, 2, 1)).toBe(d)
    d = removeChart(d, 1)
    expect(bodyOf(d).charts).toEqual([
      { title: 'Load', queries: [{ endpoint: 'web-1', metric: 'load.1min', tags: 'a=1' }] },
      stored.charts[1],
    ])
  })
})

describe('a chart of a screen', () => {
  /** The series there are, `endpoint metric tags`; a net. metric is a counter. */
  const seeded = [
    'web-1 cpu.busy',
    'web-2 cpu.busy',
    'web-3 mem.memused.percent',
    'db-1 df.bytes.used.percent mount=/',
    'db-1 df.bytes.used.percent mount=/data',
    'db-1 net.if.in.bytes iface=eth0',
  ]
  const infoOf = (text: string) => {
    const [endpoint = '', metric = '', tags = ''] = text.split(' ')
    return { endpoint, metric, tags, counterType: metric.startsWith('net.') ? 'COUNTER' : 'GAUGE', step: 10 }
  }
  const hasTags = (s: { tags: string }, wanted: string[]) =>
    wanted.every((tag) => s.tags.split(',').includes(tag))
  /** The monitor API over `texts`; a history of an endpoint in `refused` is a 403. */
  const monitor = (texts: string[], refused: string[] = []) => {
    const series = texts.map(infoOf)
    routes['GET /api/v1/series'] = ({ query }: Call) => ({
      series: series
        .filter(
          (s) => s.endpoint.startsWith(query.get('endpoint')!) && s.metric.startsWith(query.get('metric')!),
        )
        .filter((s) => hasTags(s, query.getAll('tag')))
        .map((s) => ({ ...s, lastSeen: 1 })),
    })
    routes['GET /api/v1/history'] = ({ query }: Call) => {
      const endpoint = query.get('endpoint')!
      if (refused.includes(endpoint)) return new Reply(403, { message: `${endpoint} is outside the scope` })
      const points = { resolution: 'raw', interval: 10, timestamps: [100, 110], values: [1, 2] }
      return {
        from: Number(query.get('from')),
        to: Number(query.get('to')),
        series: series
          .filter((s) => s.endpoint === endpoint && s.metric === query.get('metric'))
          .filter((s) => hasTags(s, (query.get('tags') ?? '').split(',').filter(Boolean)))
          .map((s) => ({ ...s, ...points })),
      }
    }
  }
  const renderChart = (queries: ScreenView['charts'][number]['queries']) =>
    renderSignedIn(
      <ScreenChart chart={{ title: 'Lines', queries }} from={100} to={200} onZoom={() => {}} />,
      {
        me: { tokenId: 't_1', name: 'tester', role: 'viewer', scope: '' },
      },
    )
  const lines = async () => {
    await waitFor(() => expect(screen.queryByText('Loading…')).toBeNull())
    return screen.queryAllByRole('switch').map((s) => s.textContent)
  }
  const notes = () => Array.from(document.querySelectorAll('.chart-note'), (p) => p.textContent)

  it('draws a prefix as the endpoints having the metric, each series once, named as elsewhere', async () => {
    monitor(seeded)
    renderChart([
      { endpoint: 'web-*', metric: 'cpu.busy', tags: '' },
      { endpoint: 'web-1', metric: 'cpu.busy', tags: '' },
      { endpoint: 'db-1', metric: 'df.bytes.used.percent', tags: 'mount=/' },
      { endpoint: 'db-*', metric: 'net.if.in.bytes', tags: 'iface=eth0' },
    ])
    expect(await lines()).toEqual([
      'web-1 cpu.busy',
      'web-2 cpu.busy',
      'db-1 df.bytes.used.percent{mount=/}',
      'db-1 net.if.in.bytes{iface=eth0} /s',
    ])
    expect(notes()).toEqual([])
    const series = calls.filter((c) => c.path === '/api/v1/series')
    expect(series.map((c) => `${c.query}`)).toEqual([
      'endpoint=web-&metric=cpu.busy&limit=10000',
      'endpoint=db-&metric=net.if.in.bytes&tag=iface%3Deth0&limit=10000',
    ])
    // web-3 has no cpu.busy: not asked for.
    const history = calls.filter((c) => c.path === '/api/v1/history').map((c) => `${c.query}`)
    expect(history.sort()).toEqual([
      'endpoint=db-1&metric=df.bytes.used.percent&tags=mount%3D%2F&from=100&to=200',
      'endpoint=db-1&metric=net.if.in.bytes&tags=iface%3Deth0&from=100&to=200',
      'endpoint=web-1&metric=cpu.busy&from=100&to=200',
      'endpoint=web-1&metric=cpu.busy&from=100&to=200',
      'endpoint=web-2&metric=cpu.busy&from=100&to=200',
    ])
  })

  it('says when a prefix matches nothing or too much, and which lines were refused, drawing the rest', async () => {
    const many = Array.from(
      { length: MAX_PREFIX_ENDPOINTS + 5 },
      (_, i) => `n-${String(i).padStart(2, '0')} m`,
    )
    monitor([...many, 'db-1 m', 'web-1 m'], ['db-1'])
    renderChart([
      { endpoint: 'n-*', metric: 'm', tags: '' },
      { endpoint: 'none-*', metric: 'm', tags: '' },
      { endpoint: 'web-*', metric: 'other', tags: '' },
      { endpoint: 'db-1', metric: 'm', tags: '' },
      { endpoint: 'web-1', metric: 'm', tags: '' },
    ])
    const drawn = await lines()
    expect(drawn).toHaveLength(MAX_PREFIX_ENDPOINTS + 1)
    expect(drawn.slice(-2)).toEqual([`n-${String(MAX_PREFIX_ENDPOINTS - 1).padStart(2, '0')} m`, 'web-1 m'])
    expect(notes()).toEqual([
      `n-* m matches more than ${MAX_PREFIX_ENDPOINTS} endpoints: the first ${MAX_PREFIX_ENDPOINTS} are drawn`,
      'none-* m matches no endpoint',
      'web-* other matches no endpoint',
      'db-1 m: db-1 is outside the scope',
    ])
  })
})

describe('the screen editor', () => {
  beforeEach(() => {
    routes['GET /api/v1/screens/sc_1'] = () => stored
  })

  it('edits a stored screen and saves it with the revision it read', async () => {
    routes['PUT /api/v1/screens/sc_1'] = (c) => ({ ...stored, ...(c.body as object), revision: 8 })
    renderAt('/nodes/shop.web/screens/sc_1/edit')
    const name = await screen.findByLabelText('Name')
    expect(name).toHaveProperty('value', 'Web overview')
    fireEvent.change(name, { target: { value: 'Web' } })
    fireEvent.click(screen.getByRole('button', { name: 'Add chart' }))
    const third = chartGroup(3)
    fireEvent.change(within(third).getByLabelText('Title'), { target: { value: 'Memory' } })
    fireEvent.change(within(third).getByLabelText('Endpoint'), { target: { value: 'web-1' } })
    fireEvent.change(within(third).getByLabelText('Metric'), { target: { value: 'mem.memused.percent' } })
    fireEvent.click(screen.getByRole('button', { name: 'Move chart 3 earlier' }))
    fireEvent.click(screen.getByRole('button', { name: 'Remove query 2 of chart 3' }))
    expect(screen.getByRole('button', { name: 'Remove query 1 of chart 3' })).toHaveProperty('disabled', true)
    fireEvent.click(screen.getByRole('button', { name: 'Remove chart 1' }))
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(currentUrl()).toBe('/nodes/shop.web/screens/sc_1'))
    expect(sent('PUT')[0]?.body).toEqual({
      node: 'shop.web',
      name: 'Web',
      charts: [
        { title: 'Memory', queries: [{ endpoint: 'web-1', metric: 'mem.memused.percent', tags: '' }] },
        { title: 'Disk', height: 200, queries: [stored.charts[1]!.queries[0]] },
      ],
      revision: 7,
    })
  })

  it('says clearly when someone saved first, and loads their version on request', async () => {
    let revision = 7
    routes['GET /api/v1/screens/sc_1'] = () => ({
      ...stored,
      name: revision === 7 ? stored.name : 'Their name',
      revision,
    })
    routes['PUT /api/v1/screens/sc_1'] = () => {
      revision = 9
      return new Reply(409, { error: 'Conflict', message: 'screen sc_1 changed since revision 7' })
    }
    renderAt('/nodes/shop.web/screens/sc_1/edit')
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Mine' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toMatch(/Not saved: someone else changed this screen since you opened it/)
    expect(alert.textContent).toMatch(/screen sc_1 changed since revision 7/)
    expect(screen.getByLabelText('Name')).toHaveProperty('value', 'Mine') // kept until asked
    fireEvent.click(within(alert).getByRole('button', { name: 'Load the saved version' }))
    await waitFor(() => expect(screen.getByLabelText('Name')).toHaveProperty('value', 'Their name'))
    expect(screen.queryByRole('alert')).toBeNull()
  })

  it('shows a 409 that is no conflict (a name taken) as it is', async () => {
    routes['PUT /api/v1/screens/sc_1'] = () =>
      new Reply(409, { error: 'Conflict', message: 'a screen named Ops is already on shop.web (sc_2)' })
    renderAt('/nodes/shop.web/screens/sc_1/edit')
    fireEvent.change(await screen.findByLabelText('Name'), { target: { value: 'Ops' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    const alert = await screen.findByRole('alert')
    expect(alert.textContent).toBe('a screen named Ops is already on shop.web (sc_2)')
    expect(screen.queryByRole('button', { name: 'Load the saved version' })).toBeNull()
  })

  it('marks and focuses the field the server refused', async () => {
    routes['PUT /api/v1/screens/sc_1'] = () =>
      new Reply(400, {
        error: 'Bad Request',
        field: 'charts.1.queries.0.endpoint',
        message: 'body.charts.1.queries.0.endpoint: an endpoint, or a prefix followed by *',
      })
    renderAt('/nodes/shop.web/screens/sc_1/edit')
    await screen.findByLabelText('Name')
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    expect((await screen.findByRole('alert')).textContent).toMatch(/charts\.1\.queries\.0\.endpoint/)
    const endpoint = within(within(chartGroup(2)).getByRole('group', { name: 'Query 1' })).getByLabelText(
      'Endpoint',
    )
    expect(endpoint.getAttribute('aria-invalid')).toBe('true')
    expect(document.activeElement).toBe(endpoint)
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBeNull()
  })

  it('creates a screen on the node and opens it', async () => {
    routes['POST /api/v1/screens'] = (c) =>
      new Reply(201, { ...stored, ...(c.body as object), id: 'sc_new', revision: 1 })
    renderAt('/nodes/shop.web/screens/new')
    expect(screen.getByRole('heading', { name: 'New screen on shop.web' })).toBeTruthy()
    fireEvent.change(screen.getByLabelText('Name'), { target: { value: 'Fresh' } })
    fireEvent.click(screen.getByRole('button', { name: 'Save' }))
    await waitFor(() => expect(currentUrl()).toBe('/nodes/shop.web/screens/sc_new'))
    expect(sent('POST')[0]?.body).toEqual({ node: 'shop.web', name: 'Fresh', charts: [] })
  })

  it('deletes after asking once more, at the revision read', async () => {
    routes['DELETE /api/v1/screens/sc_1'] = () => new Reply(204)
    routes['GET /api/v1/screens'] = () => ({ screens: [] })
    renderAt('/nodes/shop.web/screens/sc_1/edit')
    fireEvent.click(await screen.findByRole('button', { name: 'Delete screen' }))
    const confirm = screen.getByRole('group', { name: 'Confirm deletion' })
    expect(confirm.textContent).toMatch(/Delete Web overview for everyone\?/)
    fireEvent.click(within(confirm).getByRole('button', { name: 'Keep it' }))
    expect(sent('DELETE')).toEqual([])
    fireEvent.click(screen.getByRole('button', { name: 'Delete screen' }))
    fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
    await screen.findByText('No screen on shop.web or above it yet.')
    expect(sent('DELETE').map((c) => `${c.path}?${c.query}`)).toEqual(['/api/v1/screens/sc_1?revision=7'])
  })

  it('suggests the metrics of the query’s endpoints while its metric is typed', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    routes['GET /api/v1/series'] = (c) => ({
      series: ['cpu.busy', 'cpu.idle', 'cpu.busy']
        .filter((m) => m.startsWith(c.query.get('metric') ?? ''))
        .map((metric) => ({
          endpoint: 'web-1',
          metric,
          tags: '',
          counterType: 'GAUGE',
          step: 60,
          lastSeen: 0,
        })),
    })
    try {
      renderAt('/nodes/shop.web/screens/sc_1/edit')
      await screen.findByLabelText('Name')
      const metric = within(chartGroup(1)).getByLabelText('Metric')
      fireEvent.focus(metric)
      fireEvent.change(metric, { target: { value: 'cpu.' } })
      await act(() => vi.advanceTimersByTimeAsync(300))
      const list = document.getElementById(metric.getAttribute('list') ?? '')
      await waitFor(() =>
        expect([...(list?.querySelectorAll('option') ?? [])].map((o) => o.value)).toEqual([
          'cpu.busy',
          'cpu.idle',
        ]),
      )
      const asked = calls.filter((c) => c.path === '/api/v1/series').at(-1)
      expect(asked?.query.get('endpoint')).toBe('web-')
      expect(asked?.query.get('metric')).toBe('cpu.')
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('what each role is offered', () => {
  const list = [
    { ...stored, id: 'sc_top', node: 'shop', name: 'Shop' },
    stored,
    { ...stored, id: 'sc_other', name: 'Other web' },
  ]
  beforeEach(() => {
    routes['GET /api/v1/screens'] = () => ({ screens: list })
    routes['GET /api/v1/screens/sc_1'] = () => stored
  })

  it('lists the node’s own screens first, then those from above; editors may create', async () => {
    renderAt('/nodes/shop.web/screens')
    const table = await screen.findByRole('table', { name: 'Screens' })
    const rows = within(table)
      .getAllByRole('row')
      .slice(1)
      .map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent))
    expect(rows).toEqual([
      ['Web overview', 'this node', '2'],
      ['Other web', 'this node', '2'],
      ['Shop', 'from shop', '2'],
    ])
    expect(calls[0]?.query.toString()).toBe('node=shop.web&inherited=true')
    expect(screen.getByRole('link', { name: 'New screen' }).getAttribute('href')).toBe(
      '/nodes/shop.web/screens/new',
    )
  })

  it('offers a viewer nothing to change, and an editor nothing outside its scope', async () => {
    renderAt('/nodes/shop.web/screens', 'viewer')
    await screen.findByRole('table', { name: 'Screens' })
    expect(screen.queryByRole('link', { name: 'New screen' })).toBeNull()
    cleanup()
    renderAt('/nodes/shop.web/screens/sc_1/edit', 'editor', 'shop.db')
    expect((await screen.findByText(/needs the editor role within it/)).textContent).toBe(
      'Editing screens on shop.web needs the editor role within it; this token is editor of shop.db.',
    )
    expect(screen.queryByRole('button', { name: 'Save' })).toBeNull()
  })
})
