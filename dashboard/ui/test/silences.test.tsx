// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import { afterEach, expect, it, vi } from 'vitest'
import type { SilenceView } from '../src/pages/alarms/alarm-types.ts'
import { readPrefill, silenceLink } from '../src/pages/silences/prefill.ts'
import SilencesPage from '../src/pages/silences/SilencesPage.tsx'
import { mayWrite } from '../src/pages/silences/silence-access.ts'
import { describeMatch, describeSchedule } from '../src/pages/silences/silence-describe.ts'
import { checkSilence, formOf, localInput, newForm } from '../src/pages/silences/silence-form.ts'
import { allows, type Role, withinScope } from '../src/session.tsx'
import { parseLocal } from '../src/time/range.ts'
import { QUIET, renderAt } from './alarms-fixtures.tsx'
import { currentUrl, fakeApi, Reply } from './fake-api.tsx'

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const NOW = 1_800_000_000
const now = () => Math.floor(Date.now() / 1000)
const field = (label: string) => screen.getByLabelText(label) as HTMLInputElement
const type = (label: string, value: string) => fireEvent.change(field(label), { target: { value } })
const canOf = (role: Role, scope: string) => (need: Role, path?: string) =>
  allows(role, need) && (path === undefined || withinScope(path, scope))

function stored(over: Partial<SilenceView> = {}): SilenceView {
  return {
    id: 'si_000000000001',
    match: { hosts: ['web-1'], strategy: 's_errors' },
    schedule: { kind: 'once', from: now() - 60, to: now() + 3600 },
    reason: 'deploy 1.4.2',
    createdBy: 'alice',
    createdAt: now() - 60,
    state: 'active',
    revision: 7,
    ...over,
  }
}

it('checks a silence as the API would: a matcher, a reason, times, tags, an end still ahead', () => {
  const form = { ...newForm({}, NOW), reason: '' }
  expect(checkSilence(form, NOW).errors).toMatchObject({
    match: expect.stringMatching(/at least one of node, hosts/),
    reason: 'say why',
  })
  const ok = checkSilence({ ...form, node: 'shop.web', reason: 'deploy' }, NOW)
  expect(ok.errors).toEqual({})
  expect(ok.body).toEqual({
    match: { node: 'shop.web' },
    schedule: { kind: 'once', from: parseLocal(localInput(NOW)), to: parseLocal(localInput(NOW + 7200)) },
    reason: 'deploy',
  })
  const bad = checkSilence(
    { ...form, node: 'shop..web', tags: 'nonsense', name: 'no spaces', reason: 'x', to: form.from },
    NOW,
  ).errors
  expect(bad).toMatchObject({
    'match.node': 'a dotted path of node names',
    'match.tags': expect.stringMatching(/k=v/),
    name: expect.stringMatching(/letters, digits/),
    'schedule.to': 'to must be after from',
  })
  const past = {
    ...form,
    hosts: 'web-1',
    reason: 'x',
    from: localInput(NOW - 7200),
    to: localInput(NOW - 3600),
  }
  expect(checkSilence(past, NOW).errors).toEqual({ 'schedule.to': 'already over' })
  expect(checkSilence({ ...past, to: 'soon' }, NOW).errors).toEqual({ 'schedule.to': 'a date and time' })
})

it('checks a weekly window: days, clock times, a real time zone, bounds in order', () => {
  const weekly = { ...newForm({ node: 'shop' }, NOW), reason: 'vacuum', kind: 'weekly' as const }
  expect(checkSilence(weekly, NOW).errors).toEqual({ 'schedule.days': 'pick at least one day' })
  const wrong = checkSilence(
    {
      ...weekly,
      days: [6, 0],
      start: '25:00',
      timeZone: 'Mars/Olympus',
      weeklyFrom: localInput(NOW + 100),
      until: localInput(NOW + 50),
    },
    NOW,
  ).errors
  expect(wrong).toEqual({
    'schedule.start': 'HH:MM',
    'schedule.timeZone': 'an IANA time zone, e.g. Europe/Berlin',
    'schedule.until': 'until must be after from',
  })
  const right = checkSilence({ ...weekly, days: [6, 0], timeZone: 'Europe/Berlin' }, NOW)
  expect(right.errors).toEqual({})
  expect(right.body).toMatchObject({
    schedule: { kind: 'weekly', days: [0, 6], start: '22:00', end: '02:00', timeZone: 'Europe/Berlin' },
  })
  expect(describeSchedule((right.body as SilenceView).schedule)).toBe(
    'every Sun, Sat 22:00–02:00 Europe/Berlin',
  )
})

it('prefills a silence from an alarm’s link, and reads a stored one back into the form', () => {
  const link = silenceLink({ hosts: ['web-1'], strategy: 's_errors', hours: 2 })
  expect(link).toBe('/silences/new?host=web-1&strategy=s_errors&hours=2')
  const prefill = readPrefill(new URL(link, 'http://x').searchParams)
  const form = newForm(prefill, NOW)
  expect(form).toMatchObject({ hosts: 'web-1', strategy: 's_errors', node: '', kind: 'once' })
  expect(parseLocal(form.to)! - parseLocal(form.from)!).toBe(7200)

  const s = stored({ match: { node: 'shop', priorities: [3, 4] }, name: 'nightly' })
  const back = checkSilence(formOf(s, now()), now())
  expect(back.errors).toEqual({})
  expect(back.body).toMatchObject({
    name: 'nightly',
    match: { node: 'shop', priorities: [3, 4] },
    reason: s.reason,
  })
  expect(describeMatch(s.match)).toEqual(['node shop', 'P3, P4'])
})

it('offers changing a silence only to deployers whose scope holds its node and hosts', () => {
  const bound = new Map([
    ['web-1', ['shop.web']],
    ['db-1', ['shop.db']],
  ])
  const shopWeb = canOf('deployer', 'shop.web')
  expect(mayWrite(shopWeb, { node: 'shop.web' }, bound)).toBe(true)
  expect(mayWrite(shopWeb, { node: 'shop' }, bound)).toBe(false)
  expect(mayWrite(shopWeb, { hosts: ['web-1'] }, bound)).toBe(true)
  expect(mayWrite(shopWeb, { hosts: ['web-1', 'db-1'] }, bound)).toBe(false)
  expect(mayWrite(shopWeb, { metric: 'cpu.idle' }, bound)).toBe(false)
  expect(mayWrite(canOf('deployer', ''), { metric: 'cpu.idle' }, bound)).toBe(true)
  expect(mayWrite(canOf('viewer', ''), { node: 'shop' }, bound)).toBe(false)
})

it('creates a silence prefilled from an alarm, showing errors only where typed until Save', async () => {
  const calls = fakeApi({
    ...QUIET,
    'POST /api/v1/silences': (c) => ({ ...stored(), ...(c.body as object) }),
  })
  renderAt(<SilencesPage />, {
    url: '/silences/new?host=web-1&strategy=s_errors&hours=2',
    route: '/silences/*',
    role: 'deployer',
  })
  expect(field('Hosts').value).toBe('web-1')
  expect(field('Strategy').value).toBe('s_errors')
  expect(screen.queryByText('say why')).toBeNull()

  type('Tags', 'oops')
  expect(screen.getByText(/k=v pairs separated by commas/)).toBeTruthy()
  expect(field('Tags').getAttribute('aria-invalid')).toBe('true')
  type('Tags', '')
  fireEvent.click(screen.getByRole('button', { name: 'Create silence' }))
  expect(screen.getByText('say why')).toBeTruthy()
  await waitFor(() => expect(document.activeElement).toBe(field('Reason')))
  expect(calls.some((c) => c.method === 'POST')).toBe(false)

  type('Reason', 'fixing the error rate')
  fireEvent.click(screen.getByRole('button', { name: 'Create silence' }))
  await waitFor(() => expect(currentUrl()).toBe('/silences'))
  const post = calls.find((c) => c.method === 'POST')!
  expect(post.body).toMatchObject({
    match: { hosts: ['web-1'], strategy: 's_errors' },
    schedule: { kind: 'once' },
    reason: 'fixing the error rate',
  })
})

it('shows the server’s refusal of a field at that field, until it is changed', async () => {
  fakeApi({
    ...QUIET,
    'POST /api/v1/silences': new Reply(400, {
      error: 'Bad Request',
      field: 'match.hosts.0',
      message: 'body.match.hosts.0: Too big: expected string to have <=255 characters',
    }),
  })
  renderAt(<SilencesPage />, { url: '/silences/new?host=web-1', route: '/silences/*', role: 'admin' })
  type('Reason', 'test')
  fireEvent.click(screen.getByRole('button', { name: 'Create silence' }))
  const error = await screen.findByText('Too big: expected string to have <=255 characters')
  expect(field('Hosts').getAttribute('aria-describedby')).toContain(error.id)
  type('Hosts', 'web-2')
  expect(screen.queryByText(/Too big/)).toBeNull()
})

it('lists silences by state; a deployer changes one (extending it) and ends another; a viewer only reads', async () => {
  const a = stored()
  const b = stored({ id: 'si_000000000002', name: 'nightly', match: { node: 'shop' }, reason: 'vacuum' })
  const calls = fakeApi({
    ...QUIET,
    'GET /api/v1/silences': { silences: [a, b] },
    [`GET /api/v1/silences/${a.id}`]: a,
    [`PUT /api/v1/silences/${a.id}`]: (c) => ({ ...a, ...(c.body as object) }),
    [`DELETE /api/v1/silences/${b.id}`]: undefined,
  })
  renderAt(<SilencesPage />, { url: '/silences?state=all', route: '/silences/*', role: 'deployer' })
  const table = await screen.findByRole('table', { name: 'Silences' })
  expect(calls.find((c) => c.path === '/api/v1/silences')?.query.get('state')).toBe('all')
  expect(within(table).getByText('host web-1')).toBeTruthy()

  fireEvent.change(screen.getByLabelText('State'), { target: { value: 'active' } })
  expect(currentUrl()).toBe('/silences?state=active')

  fireEvent.click(within(table).getByRole('button', { name: 'End now: nightly' }))
  fireEvent.click(within(table).getByRole('button', { name: 'Yes, end it: nightly' }))
  await waitFor(() => expect(calls.some((c) => c.method === 'DELETE')).toBe(true))
  expect(calls.find((c) => c.method === 'DELETE')?.query.get('revision')).toBe('7')

  fireEvent.click(within(table).getByRole('link', { name: `Edit ${a.id}` }))
  const to = await screen.findByLabelText('To')
  expect((to as HTMLInputElement).value).toBe(localInput((a.schedule as { to: number }).to))
  fireEvent.click(
    within(screen.getByRole('group', { name: 'Extend the end' })).getByRole('button', { name: '+1 h' }),
  )
  fireEvent.click(screen.getByRole('button', { name: 'Save changes' }))
  await waitFor(() => expect(currentUrl()).toBe('/silences'))
  const put = calls.find((c) => c.method === 'PUT')!
  expect(put.body).toMatchObject({ revision: 7, match: a.match, reason: a.reason })
  const extended = (put.body as SilenceView).schedule as { to: number }
  expect(extended.to).toBe(parseLocal(localInput((a.schedule as { to: number }).to))! + 3600)
  cleanup()

  renderAt(<SilencesPage />, { url: '/silences', route: '/silences/*', role: 'viewer' })
  await screen.findByRole('table', { name: 'Silences' })
  expect(screen.queryByRole('link', { name: 'New silence' })).toBeNull()
  expect(screen.queryByRole('link', { name: /^Edit/ })).toBeNull()
  expect(screen.queryByRole('button', { name: /^End/ })).toBeNull()
})
