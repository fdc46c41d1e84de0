// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { ChartProps } from '../src/chart/Chart.tsx'
import { type Call, currentUrl, fakeApi, Reply } from './fake-api.tsx'
import { EDITOR, renderAt, strategyView, VIEWER } from './strategies-harness.tsx'

// uPlot draws on a canvas, which happy-dom has not: the chart shows what it was given instead.
vi.mock('../src/chart/Chart.tsx', () => ({
  Chart: (props: ChartProps) => (
    <figure data-testid="chart" data-from={props.from} data-to={props.to}>
      {props.series.map((s) => (
        <span key={s.label} data-testid="chart-series" data-values={JSON.stringify(s.values)}>
          {s.label}
        </span>
      ))}
      {props.markers?.map((m) => (
        <span key={`${m.timestamp}${m.label}`} data-testid="chart-marker" data-color={m.color}>
          {m.timestamp} {m.label}
        </span>
      ))}
    </figure>
  ),
}))

const TEAMS = { teams: [{ name: 'ops', members: [], note: '', revision: 1 }] }
const NOW = Math.floor(Date.now() / 1000)

/** A backtest answer: web-1 evaluated without events, web-2 with a PROBLEM and its OK. */
const BACKTEST = {
  from: NOW - 86_400,
  to: NOW,
  strategy: null,
  truncated: false,
  series: [
    {
      endpoint: 'web-1',
      metric: 'cpu.busy',
      tags: '',
      counterType: 'GAUGE',
      step: 60,
      events: [],
      verdicts: { timestamps: [NOW - 120, NOW - 60], values: [20, 21], truth: [false, false] },
    },
    {
      endpoint: 'web-2',
      metric: 'cpu.busy',
      tags: '',
      counterType: 'GAUGE',
      step: 60,
      events: [
        { timestamp: NOW - 120, status: 'PROBLEM', value: 35, step: 1, kind: 'value' },
        { timestamp: NOW - 60, status: 'OK', value: 29, step: 1, kind: 'value' },
      ],
      verdicts: { timestamps: [NOW - 120, NOW - 60], values: [35, 29], truth: [true, false] },
    },
  ],
}

beforeEach(() => {
  document.documentElement.style.setProperty('--danger', 'rgb(200, 0, 0)')
  document.documentElement.style.setProperty('--ok', 'rgb(0, 150, 0)')
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const type = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } })

/** The text an input's aria-describedby points at: its error (or hint). */
function describedBy(label: string): string | null | undefined {
  const id = screen.getByLabelText(label).getAttribute('aria-describedby')
  return id ? document.getElementById(id)?.textContent : null
}

const backtests = (calls: Call[]) => calls.filter((c) => c.path === '/api/v1/strategies/backtest')

/** Types a valid `cpu.busy all(#1) > 30`. */
function typeValidDraft() {
  type('Metric', 'cpu.busy')
  type('Window', '#1')
  type('Threshold', '30')
}

it('shows each field’s error beside it as it is typed, in the words of the server’s schema', async () => {
  fakeApi({ 'GET /api/v1/teams': () => TEAMS })
  renderAt('/nodes/shop.web/strategies/new')
  await screen.findByRole('heading', { name: 'New strategy at shop.web' })
  // Nothing is shouted at a field before it is touched.
  expect(describedBy('Metric')).toBeNull()

  type('Window', '5 minutes')
  expect(describedBy('Window')).toBe('a window is #N (points) or a duration like 5m')
  expect(screen.getByLabelText('Window').getAttribute('aria-invalid')).toBe('true')
  type('Threshold', 'high')
  expect(describedBy('Threshold')).toBe('a number is needed')
  type('Name', 'cpu too busy')
  expect(describedBy('Name')).toBe('letters, digits, _ . -; up to 63 characters')
  type('Tags', 'nonsense')
  expect(describedBy('Tags')).toBe('tags must be k=v pairs separated by commas')
  type('Active from', '25:00')
  expect(describedBy('Active from')).toBe('HH:MM')
  type('Callback URL', 'ftp://example.com/hook')
  expect(describedBy('Callback URL')).toBe('Invalid URL')
  fireEvent.blur(screen.getByLabelText('Metric'))
  expect(describedBy('Metric')).toBe('required')
  // A rule across fields speaks once its condition is otherwise complete, whatever else is wrong.
  type('Metric', 'cpu.busy')
  type('Threshold', '30')
  type('Window', '#3')
  type('Tags', 'role=web')
  expect(describedBy('Tags')).toBe('a series matches when it has all of them')
  fireEvent.change(screen.getByLabelText('Function'), { target: { value: 'lookup' } })
  fireEvent.blur(screen.getByLabelText('Hits'))
  expect(describedBy('Hits')).toBe('lookup needs hits (M of N)')
  type('Hits', '4')
  expect(describedBy('Hits')).toBe('hits cannot exceed the window')

  // Fixed, the errors go; the hint comes back where a field has one.
  type('Hits', '2')
  expect(screen.getByLabelText('Hits').getAttribute('aria-invalid')).toBeNull()
  expect(describedBy('Hits')).toBe('values of the window that must satisfy')
  expect(describedBy('Window')).toBeNull()
  type('Active from', '22:00')
  expect(describedBy('Active until')).toBe("the judge's time zone; may cross midnight") // untouched…
  fireEvent.submit(screen.getByRole('form', { name: 'Strategy' }))
  expect(describedBy('Active until')).toBe('required') // …but a save shows every error
  expect(document.activeElement?.id).toBe('strategy-name') // and goes to the first
})

it('previews a valid draft: a backtest of it at this node over the last 24 hours, charted with its events', async () => {
  const calls = fakeApi({
    'GET /api/v1/teams': () => TEAMS,
    'POST /api/v1/strategies/backtest': () => BACKTEST,
  })
  renderAt('/nodes/shop.web/strategies/new')
  await screen.findByRole('heading', { name: 'New strategy at shop.web' })
  type('Name', 'not a name yet') // the name changes nothing of a preview: it does not hold it up
  type('Window', 'soon')
  type('Metric', 'cpu.busy')
  type('Threshold', '30')
  expect(screen.getByTestId('preview-waiting').textContent).toBe('Waiting for: window')
  type('Window', '#1')

  const chart = await screen.findByTestId('chart', {}, { timeout: 3000 })
  expect(backtests(calls)).toHaveLength(1)
  const body = backtests(calls)[0]!.body as { strategy: Record<string, unknown>; from: number; to: number }
  expect(body.strategy).toMatchObject({
    node: 'shop.web',
    metric: 'cpu.busy',
    fn: 'all',
    window: '#1',
    operator: '>',
    threshold: 30,
  })
  expect(body.strategy).not.toHaveProperty('name') // a trial needs none
  // The seeded data starts within the range: the chart starts with it.
  expect(Number(chart.dataset.from)).toBe(NOW - 120)
  expect(Number(chart.dataset.to)).toBe(NOW)
  expect(body.to - body.from).toBe(86_400)
  expect(Math.abs(body.to - Date.now() / 1000)).toBeLessThan(10)
  expect(body).toMatchObject({ verdicts: true })

  // Series with events first; their verdict values drawn, events marked in the theme's colours.
  const series = within(chart).getAllByTestId('chart-series')
  expect(series.map((s) => s.textContent)).toEqual(['web-2', 'web-1'])
  expect(JSON.parse(series[0]!.dataset.values!)).toEqual([35, 29])
  const markers = within(chart).getAllByTestId('chart-marker')
  expect(markers.map((m) => [m.textContent, m.dataset.color])).toEqual([
    [`${NOW - 120} PROBLEM web-2`, 'rgb(200, 0, 0)'],
    [`${NOW - 60} OK web-2`, 'rgb(0, 150, 0)'],
  ])
  const events = screen.getByRole('table', { name: 'Would-be events' })
  const rows = within(events).getAllByRole('row').slice(1)
  expect(
    rows.map((r) =>
      within(r)
        .getAllByRole('cell')
        .slice(1)
        .map((c) => c.textContent),
    ),
  ).toEqual([
    ['web-2', 'PROBLEM', '35'],
    ['web-2', 'OK', '29'],
  ])
  expect(screen.getByTestId('preview-summary').textContent).toMatch(
    /2 series evaluated · 2 would-be events \(1 PROBLEM\)/,
  )
})

it('cancels a preview still running when the draft changes, and shows only the newest', async () => {
  let first = true
  const calls = fakeApi({
    'GET /api/v1/teams': () => TEAMS,
    'POST /api/v1/strategies/backtest': () => {
      if (!first) return BACKTEST
      first = false
      return new Promise(() => {}) // a slow answer, never given
    },
  })
  renderAt('/nodes/shop.web/strategies/new')
  await screen.findByRole('heading', { name: 'New strategy at shop.web' })
  typeValidDraft()
  await waitFor(() => expect(backtests(calls)).toHaveLength(1), { timeout: 3000 })
  type('Threshold', '31')
  expect(backtests(calls)[0]!.signal?.aborted).toBe(true)
  await waitFor(() => expect(backtests(calls)).toHaveLength(2), { timeout: 3000 })
  expect((backtests(calls)[1]!.body as { strategy: { threshold: number } }).strategy.threshold).toBe(31)
  await screen.findByTestId('chart')
  // Typing within the delay sends nothing in between: one request per pause.
  type('Threshold', '3')
  type('Threshold', '32')
  await waitFor(() => expect(backtests(calls)).toHaveLength(3), { timeout: 3000 })
  expect((backtests(calls)[2]!.body as { strategy: { threshold: number } }).strategy.threshold).toBe(32)
})

it('says when the strategy applies to no series, when the answer is truncated, and when it fails', async () => {
  let answer: unknown = { ...BACKTEST, series: [] }
  fakeApi({ 'GET /api/v1/teams': () => TEAMS, 'POST /api/v1/strategies/backtest': () => answer })
  renderAt('/nodes/shop.web/strategies/new')
  await screen.findByRole('heading', { name: 'New strategy at shop.web' })
  typeValidDraft()
  await waitFor(
    () => expect(screen.getByTestId('preview-summary').textContent).toMatch(/applies to no series/),
    {
      timeout: 3000,
    },
  )
  expect(screen.queryByTestId('chart')).toBeNull()

  answer = { ...BACKTEST, truncated: true }
  type('Threshold', '40')
  await waitFor(() => expect(screen.getByText(/More series match than a backtest evaluates/)).toBeTruthy(), {
    timeout: 3000,
  })

  answer = new Reply(400, {
    error: 'Bad Request',
    field: 'from',
    message: 'body.from: 2400000 points to read',
  })
  type('Threshold', '50')
  const alert = await screen.findByRole('alert', {}, { timeout: 3000 })
  expect(alert.textContent).toBe('body.from: 2400000 points to read')
})

it('creates the strategy, showing a field the server refuses beside that field', async () => {
  let created: Reply | unknown = new Reply(400, {
    error: 'Bad Request',
    field: 'receivers',
    message: 'body.receivers: no team named ops',
  })
  const calls = fakeApi({
    'GET /api/v1/teams': () => TEAMS,
    'POST /api/v1/strategies/backtest': () => BACKTEST,
    'POST /api/v1/strategies': () => created,
    'GET /api/v1/tree': () => ({ nodes: [] }),
    'GET /api/v1/strategies': () => ({ strategies: [] }),
  })
  renderAt('/nodes/shop.web/strategies/new')
  await screen.findByRole('heading', { name: 'New strategy at shop.web' })
  type('Name', 'web-busy')
  typeValidDraft()
  fireEvent.click(await screen.findByRole('checkbox', { name: 'ops' }))
  fireEvent.click(screen.getByRole('button', { name: 'Create strategy' }))

  const receivers = await screen.findByRole('group', { name: 'Receivers' })
  await waitFor(() => expect(receivers.getAttribute('aria-invalid')).toBe('true'))
  const errorId = receivers.getAttribute('aria-describedby')!
  expect(document.getElementById(errorId)?.textContent).toBe('no team named ops')
  expect(calls.find((c) => c.method === 'POST' && c.path === '/api/v1/strategies')?.body).toEqual({
    node: 'shop.web',
    name: 'web-busy',
    metric: 'cpu.busy',
    tags: '',
    fn: 'all',
    window: '#1',
    operator: '>',
    threshold: 30,
    priority: 3,
    maxNotifications: 3,
    minIntervalSeconds: 300,
    note: '',
    receivers: ['ops'],
    enabled: true,
  })

  created = { id: 's_1' }
  fireEvent.click(screen.getByRole('button', { name: 'Create strategy' }))
  await waitFor(() => expect(currentUrl()).toBe('/nodes/shop.web/strategies'))
})

it('edits with the revision read; a stale revision is said plainly and the strategy can be read again', async () => {
  let stored = strategyView({ id: 's_1', name: 'busy', node: 'shop.web', threshold: 30, revision: 2 })
  const calls = fakeApi({
    'GET /api/v1/teams': () => TEAMS,
    'GET /api/v1/strategies/s_1': () => stored,
    'POST /api/v1/strategies/backtest': () => BACKTEST,
    'PUT /api/v1/strategies/s_1': () =>
      new Reply(409, { error: 'Conflict', message: 'strategy s_1 changed since revision 2' }),
    'DELETE /api/v1/strategies/s_1': () => new Reply(204),
    'GET /api/v1/tree': () => ({ nodes: [] }),
    'GET /api/v1/strategies': () => ({ strategies: [] }),
  })
  renderAt('/nodes/shop.web/strategies/s_1')
  await screen.findByRole('heading', { name: /busy/ })
  expect((screen.getByLabelText('Threshold') as HTMLInputElement).value).toBe('30')
  type('Threshold', '40')
  fireEvent.click(screen.getByRole('button', { name: 'Save' }))
  const alert = await screen.findByRole('alert')
  expect(alert.textContent).toMatch(
    /Someone else changed this strategy since you opened it, so nothing was changed/,
  )
  expect(calls.find((c) => c.method === 'PUT')?.body).toMatchObject({ threshold: 40, revision: 2 })

  stored = { ...stored, threshold: 45, revision: 3 }
  fireEvent.click(within(alert).getByRole('button', { name: 'Reload the strategy' }))
  await waitFor(() => expect((screen.getByLabelText('Threshold') as HTMLInputElement).value).toBe('45'))
  expect(screen.queryByRole('alert')).toBeNull()

  fireEvent.click(screen.getByRole('button', { name: 'Delete' }))
  fireEvent.click(screen.getByRole('button', { name: 'Really delete' }))
  await waitFor(() => expect(currentUrl()).toBe('/nodes/shop.web/strategies'))
  expect(calls.find((c) => c.method === 'DELETE')?.query.get('revision')).toBe('3')
})

it('shows a viewer the strategy and its preview, without a way to change it', async () => {
  const calls = fakeApi({
    'GET /api/v1/teams': () => TEAMS,
    'GET /api/v1/strategies/s_1': () => strategyView({ id: 's_1', name: 'busy', node: 'shop.web' }),
    'POST /api/v1/strategies/backtest': () => BACKTEST,
  })
  renderAt('/nodes/shop.web/strategies/s_1', VIEWER)
  await screen.findByRole('heading', { name: /busy/ })
  expect((screen.getByLabelText('Threshold') as HTMLInputElement).disabled).toBe(true)
  expect(screen.queryByRole('button', { name: 'Save' })).toBeNull()
  expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull()
  await screen.findByTestId('chart', {}, { timeout: 3000 })
  expect((backtests(calls)[0]!.body as { strategy: object }).strategy).toMatchObject({
    node: 'shop.web',
    metric: 'cpu.busy',
    threshold: 90,
  })
})

it('refuses to open the new-strategy editor to a token that may not write at the node', async () => {
  fakeApi({})
  renderAt('/nodes/shop.web/strategies/new', { ...EDITOR, scope: 'ops' })
  expect(screen.getByText(/cannot create strategies at shop.web/)).toBeTruthy()
  expect(screen.queryByRole('form')).toBeNull()
})
