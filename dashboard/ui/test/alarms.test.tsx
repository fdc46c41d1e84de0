// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import AlarmsPage from '../src/pages/alarms/AlarmsPage.tsx'
import type { NotificationEntry, SilenceView } from '../src/pages/alarms/alarm-types.ts'
import { byAck, groupByPriority, mayAct } from '../src/pages/alarms/firing-model.ts'
import { appendPage, olderPage, PAGE_SIZE } from '../src/pages/alarms/history-paging.ts'
import NodeAlarms from '../src/pages/alarms/NodeAlarms.tsx'
import { silencesHolding } from '../src/pages/alarms/silenced-by.ts'
import { allows, type Role, withinScope } from '../src/session.tsx'
import { parseLocal } from '../src/time/range.ts'
import { firing, QUIET, renderAt } from './alarms-fixtures.tsx'
import { currentUrl, fakeApi } from './fake-api.tsx'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const canOf = (role: Role, scope: string) => (need: Role, path?: string) =>
  allows(role, need) && (path === undefined || withinScope(path, scope))
const input = (label: string) => screen.getByLabelText(label) as HTMLInputElement

it('groups firing alarms by priority, P0 first, the newest first within a priority', () => {
  const events = [
    firing({ priority: 3, timestamp: 100 }),
    firing({ priority: 0, timestamp: 50 }),
    firing({ priority: 3, timestamp: 200 }),
    firing({ priority: 1, timestamp: 10 }),
  ]
  expect(groupByPriority(events).map((g) => [g.priority, g.events.map((e) => e.timestamp)])).toEqual([
    [0, [50]],
    [1, [10]],
    [3, [200, 100]],
  ])
})

it('filters by acknowledgement, and lets only deployers act, within their scope', () => {
  const ack = (by: string) => ({ key: 'k', eventId: 'e', by, at: 1, note: '', via: 'api' as const })
  const events = [firing({}), firing({ ack: ack('alice') }), firing({ ack: ack('bob') })]
  expect(byAck(events, 'no', 'alice')).toEqual([events[0]])
  expect(byAck(events, 'yes', 'alice')).toEqual(events.slice(1))
  expect(byAck(events, 'me', 'alice')).toEqual([events[1]])
  expect(byAck(events, '', 'alice')).toEqual(events)

  const web = firing({ paths: ['shop.web'] })
  const unbound = firing({ paths: [] })
  expect(mayAct(canOf('deployer', 'shop'), web)).toBe(true)
  expect(mayAct(canOf('deployer', 'shop.db'), web)).toBe(false)
  expect(mayAct(canOf('deployer', 'shop'), unbound)).toBe(false)
  expect(mayAct(canOf('deployer', ''), unbound)).toBe(true)
  expect(mayAct(canOf('viewer', ''), web)).toBe(false)
})

it('pages history by the oldest time held, neither skipping nor repeating events of the same second', () => {
  const held = [firing({ timestamp: 30 }), firing({ timestamp: 20 }), firing({ timestamp: 20 })]
  const q = olderPage({ host: 'web-1' }, held)
  expect(q).toEqual({ host: 'web-1', to: 20, limit: PAGE_SIZE + 2 })
  const older = firing({ timestamp: 19 })
  const page = appendPage(held, [held[2]!, held[1]!, older], q.limit)
  expect(page.events).toEqual([...held, older])
  expect(page.more).toBe(false)
  expect(olderPage({}, [])).toEqual({ limit: PAGE_SIZE })
})

it('tells which active silences hold a firing alarm, matching node paths through the tree', () => {
  const node = (id: string, parent: string | null, name: string, path: string) => ({
    id,
    parent,
    name,
    path,
    owners: [],
    note: '',
    excludes: [],
    version: 1,
  })
  const nodes = [node('n_s', null, 'shop', 'shop'), node('n_w', 'n_s', 'web', 'shop.web')]
  const silence = (id: string, match: SilenceView['match'], to = 2000): SilenceView => ({
    id,
    match,
    schedule: { kind: 'once', from: 0, to },
    reason: id,
    createdBy: 'alice',
    createdAt: 0,
    state: 'active',
    revision: 1,
  })
  const web = firing({ endpoint: 'web-1', paths: ['shop.web'] })
  const db = firing({ endpoint: 'db-1', paths: ['ops.db'] })
  const held = silencesHolding(
    [web, db],
    [
      silence('shop', { node: 'shop' }),
      silence('gone', { node: null }),
      silence('db', { hosts: ['db-1'], priorities: [1] }),
      silence('over', { hosts: ['web-1'] }, 500),
    ],
    nodes,
    1000,
  )
  expect(held.get(web.key)?.map((s) => s.id)).toEqual(['shop'])
  expect(held.get(db.key)?.map((s) => s.id)).toEqual(['db'])
})

it('shows what fires under priority headings; a deployer is offered actions, a viewer none', async () => {
  const events = [firing({ priority: 3, endpoint: 'web-2' }), firing({ priority: 0, endpoint: 'web-1' })]
  fakeApi({ ...QUIET, 'GET /api/v1/events/firing': { events } })
  renderAt(<AlarmsPage />, { url: '/alarms', route: '/alarms/*', role: 'deployer' })
  await screen.findByRole('rowgroup', { name: 'P0 alarms' })
  const headings = screen.getAllByRole('heading', { level: 2 }).map((h) => h.textContent)
  expect(headings).toEqual(['P0 1 firing', 'P3 1 firing'])
  const p0 = screen.getByRole('rowgroup', { name: 'P0 alarms' })
  expect(within(p0).getByRole('link', { name: 'web-1' }).getAttribute('href')).toBe('/hosts/web-1')
  expect(within(p0).getByRole('link', { name: 'shop.web' }).getAttribute('href')).toBe(
    '/nodes/shop.web/alarms',
  )
  within(p0).getByRole('button', { name: 'Acknowledge…' })
  expect(within(p0).getByRole('link', { name: 'Silence…' }).getAttribute('href')).toBe(
    '/silences/new?host=web-1&strategy=s_errors&hours=2',
  )
  cleanup()

  renderAt(<AlarmsPage />, { url: '/alarms', route: '/alarms/*', role: 'viewer' })
  await screen.findByRole('rowgroup', { name: 'P0 alarms' })
  expect(screen.queryByRole('button', { name: /Acknowledge/ })).toBeNull()
  expect(screen.queryByRole('link', { name: 'Silence…' })).toBeNull()
  expect(screen.queryByRole('columnheader', { name: 'Actions' })).toBeNull()
})

it('acknowledges with a note, shows who did, and withdraws it', async () => {
  const event = firing({ priority: 1 })
  let ack: ReturnType<typeof firing>['ack'] = null
  const calls = fakeApi({
    ...QUIET,
    'GET /api/v1/events/firing': () => ({ events: [{ ...event, ack }] }),
    [`POST /api/v1/events/${event.key}/ack`]: (c) => {
      ack = {
        key: event.key,
        eventId: event.id,
        by: 'alice',
        at: Date.now() / 1000,
        note: 'on it',
        via: 'api',
      }
      expect(c.body).toEqual({ note: 'on it' })
      return ack
    },
    [`DELETE /api/v1/events/${event.key}/ack`]: () => {
      ack = null
    },
  })
  renderAt(<AlarmsPage />, { url: '/alarms', route: '/alarms/*', role: 'deployer', scope: 'shop' })
  fireEvent.click(await screen.findByRole('button', { name: 'Acknowledge…' }))
  fireEvent.change(input('Note (optional)'), { target: { value: 'on it' } })
  fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }))
  const table = screen.getByRole('rowgroup', { name: 'P1 alarms' })
  await within(table).findByText('on it')
  expect(within(table).getByText(/by alice/)).toBeTruthy()
  expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1)

  fireEvent.click(within(table).getByRole('button', { name: 'Withdraw acknowledgement' }))
  await within(table).findByRole('button', { name: 'Acknowledge…' })
  expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(1)
})

it('keeps the firing filters in the URL and filters by acknowledgement on the page', async () => {
  const mine = firing({ endpoint: 'web-1' })
  mine.ack = { key: mine.key, eventId: mine.id, by: 'alice', at: 1, note: '', via: 'api' }
  const calls = fakeApi({
    ...QUIET,
    'GET /api/v1/events/firing': { events: [mine, firing({ endpoint: 'web-2' })] },
  })
  renderAt(<AlarmsPage />, { url: '/alarms?host=web&node=shop', route: '/alarms/*' })
  await screen.findByRole('rowgroup', { name: 'P1 alarms' })
  const asked = calls.find((c) => c.path === '/api/v1/events/firing')!
  expect([asked.query.get('node'), asked.query.get('host')]).toEqual(['shop', 'web'])
  expect(input('Host').value).toBe('web')

  fireEvent.change(screen.getByLabelText('Acknowledged'), { target: { value: 'no' } })
  expect(currentUrl()).toBe('/alarms?host=web&node=shop&ack=no')
  const rows = within(screen.getByRole('rowgroup', { name: 'P1 alarms' })).getAllByRole('link', {
    name: /^web-/,
  })
  expect(rows.map((r) => r.textContent)).toEqual(['web-2'])
  expect(screen.getByText(/2 firing · 1 acknowledged · 0 silenced · 1 shown/)).toBeTruthy()
})

it('keeps the history filters in the URL, checks them as typed, and asks the API with them', async () => {
  const calls = fakeApi({ ...QUIET, 'GET /api/v1/events': { events: [] } })
  renderAt(<AlarmsPage />, { url: '/alarms/history?host=web-1&priority=1', route: '/alarms/*' })
  await screen.findByText('No event matches.')
  const first = calls.filter((c) => c.path === '/api/v1/events')
  expect(first.map((c) => c.query.toString())).toEqual(['host=web-1&priority=1&limit=100'])
  expect(input('Host').value).toBe('web-1')
  expect((screen.getByLabelText('Priority') as HTMLSelectElement).value).toBe('1')

  fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'OK' } })
  expect(currentUrl()).toBe('/alarms/history?host=web-1&priority=1&status=OK')
  await waitFor(() => expect(calls.at(-1)?.query.get('status')).toBe('OK'))

  fireEvent.change(input('Node'), { target: { value: 'shop..web' } })
  expect(screen.getByText(/a dotted path of node names/)).toBeTruthy()
  expect((screen.getByRole('button', { name: 'Apply' }) as HTMLButtonElement).disabled).toBe(true)
  fireEvent.change(input('Node'), { target: { value: 'shop.web' } })
  fireEvent.change(input('From'), { target: { value: '2027-01-15T10:00' } })
  fireEvent.click(screen.getByRole('button', { name: 'Apply' }))
  const from = parseLocal('2027-01-15T10:00')
  expect(currentUrl()).toBe(`/alarms/history?host=web-1&priority=1&status=OK&node=shop.web&from=${from}`)
  await waitFor(() => expect(calls.at(-1)?.query.get('from')).toBe(String(from)))
  expect(input('From').value).toBe('2027-01-15T10:00')

  fireEvent.click(screen.getByRole('button', { name: 'Clear' }))
  expect(currentUrl()).toBe('/alarms/history')
})

it('shows what the alarm did about an event, per receiver and channel, and loads older events', async () => {
  const events = Array.from({ length: PAGE_SIZE }, (_, i) => firing({ timestamp: 5000 - i }))
  const older = firing({ timestamp: 10, endpoint: 'db-1' })
  const record = (outcome: NotificationEntry['outcome'], receiver: string): NotificationEntry => ({
    id: `${events[0]!.id}.${receiver}`,
    notification: `${events[0]!.id}.${receiver}.email`,
    events: [events[0]!.id],
    keys: [events[0]!.key],
    count: 1,
    channel: 'email',
    receiver,
    address: 'a…@example.com',
    priority: 1,
    status: 'PROBLEM',
    outcome,
    attempt: outcome === 'sent' ? 1 : 0,
    error: '',
    at: 5001,
    paths: ['shop.web'],
    endpoints: ['web-1'],
    metric: 'app.errors',
  })
  const calls = fakeApi({
    ...QUIET,
    'GET /api/v1/events': (c) => ({ events: c.query.get('to') ? [events.at(-1)!, older] : events }),
    'GET /api/v1/notifications': (c) =>
      c.query.get('event') === events[0]!.id
        ? { records: [record('sent', 'alice'), record('silenced', 'ops')] }
        : {},
  })
  renderAt(<AlarmsPage />, { url: '/alarms/history', route: '/alarms/*' })
  const table = await screen.findByRole('table', { name: 'Events' })
  fireEvent.click(within(table).getAllByRole('button', { name: 'What the alarm did' })[0]!)
  const records = await screen.findByRole('table', { name: 'Notifications' })
  const rows = within(records).getAllByRole('row').slice(1)
  expect(rows.map((r) => [...r.querySelectorAll('td')].slice(1, 5).map((td) => td.textContent))).toEqual([
    ['alice', 'email', 'a…@example.com', 'sent'],
    ['ops', 'email', 'a…@example.com', 'silenced'],
  ])

  fireEvent.click(screen.getByRole('button', { name: 'Load older events' }))
  await within(table).findByRole('link', { name: 'db-1' })
  const paged = calls.filter((c) => c.path === '/api/v1/events').at(-1)!
  expect([paged.query.get('to'), paged.query.get('limit')]).toEqual(['4901', String(PAGE_SIZE + 1)])
  expect(screen.getByText(`${PAGE_SIZE + 1} events, newest first`)).toBeTruthy()
  expect(screen.queryByRole('button', { name: 'Load older events' })).toBeNull()
})

it('shows a node’s firing alarms and history with the node fixed', async () => {
  const calls = fakeApi({
    ...QUIET,
    'GET /api/v1/events/firing': { events: [firing({ priority: 2 })] },
    'GET /api/v1/events': { events: [] },
  })
  renderAt(<NodeAlarms />, { url: '/nodes/shop.web/alarms?kind=nodata', route: '/nodes/:path/alarms' })
  await screen.findByRole('rowgroup', { name: 'P2 alarms' })
  await screen.findByText('No event matches.')
  expect(calls.find((c) => c.path === '/api/v1/events/firing')?.query.get('node')).toBe('shop.web')
  const history = calls.find((c) => c.path === '/api/v1/events')!
  expect([history.query.get('node'), history.query.get('kind')]).toEqual(['shop.web', 'nodata'])
  expect(screen.queryByLabelText('Node')).toBeNull()
  expect(screen.getAllByRole('heading', { level: 3 }).map((h) => h.textContent)).toEqual(['P2 1 firing'])
})
