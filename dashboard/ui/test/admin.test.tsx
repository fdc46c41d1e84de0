// @vitest-environment happy-dom
import { cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react'
import type { ReactNode } from 'react'
import { Route, Routes } from 'react-router'
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import AdminPage from '../src/pages/admin/AdminPage.tsx'
import { changes } from '../src/pages/admin/audit-diff.ts'
import TeamsTab, { TeamForm } from '../src/pages/admin/TeamsTab.tsx'
import { TokenForm } from '../src/pages/admin/TokenForm.tsx'
import TokensTab from '../src/pages/admin/TokensTab.tsx'
import { UserForm } from '../src/pages/admin/UsersTab.tsx'
import type { Me } from '../src/session.tsx'
import { type Answer, type Call, fakeApi, Reply, renderSignedIn } from './fake-api.tsx'

let calls: Call[]
/** Answers by `METHOD /path` (the query left out); a test adds its own. */
let routes: Record<string, Answer>

beforeEach(() => {
  routes = { 'GET /api/v1/tree': { nodes: [] } }
  calls = fakeApi(routes)
})

afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const ADMIN: Me = { tokenId: 'tok1', name: 'root', role: 'admin', scope: '' }

const renderAs = (me: Partial<Me>, ui: ReactNode, url = '/') =>
  renderSignedIn(ui, { me: { ...ADMIN, ...me }, url })

/** The message shown for a field: its description while it is marked invalid. */
function errorOf(label: string): string | null {
  const control = screen.getByLabelText(label)
  if (control.getAttribute('aria-invalid') !== 'true') return null
  return document.getElementById(control.getAttribute('aria-describedby') ?? '')?.textContent ?? ''
}

const type = (label: string, value: string) =>
  fireEvent.change(screen.getByLabelText(label), { target: { value } })

it('checks a team per field as it is typed, with the server’s schema, and saves a valid one', async () => {
  routes['PUT /api/v1/teams/ops'] = { name: 'ops', members: [], note: '', revision: 1 }
  const onSaved = vi.fn()
  renderAs({}, <TeamForm onSaved={onSaved} onCancel={() => {}} />)
  expect(errorOf('Name')).toBeNull()

  type('Name', 'bad name!')
  expect(errorOf('Name')).toMatch(/letters, digits/)
  expect(errorOf('Members')).toBeNull()

  type('Members', 'alice, b!b')
  expect(errorOf('Members')).toMatch(/^item 2: letters, digits/)

  type('Name', 'ops')
  type('Members', 'alice, bob\ncarol')
  expect(errorOf('Name')).toBeNull()
  expect(errorOf('Members')).toBeNull()
  fireEvent.click(screen.getByRole('button', { name: 'Create team' }))
  await waitFor(() => expect(onSaved).toHaveBeenCalled())
  const put = calls.at(-1)!
  expect(`${put.method} ${put.path}${put.query}`).toBe('PUT /api/v1/teams/ops')
  expect(put.body).toEqual({ name: 'ops', members: ['alice', 'bob', 'carol'], note: '' })
})

it('shows every field’s message on submit, and sends nothing while one is wrong', async () => {
  renderAs({}, <UserForm onSaved={() => {}} onCancel={() => {}} />)
  type('Phone', 'call me')
  fireEvent.click(screen.getByRole('button', { name: 'Create user' }))
  await waitFor(() => expect(errorOf('Name')).not.toBeNull())
  expect(errorOf('Phone')).toMatch(/a phone number/)
  expect(errorOf('Email')).toBeNull()
  expect(calls.filter((c) => c.method === 'PUT')).toEqual([])
})

it('checks a user’s email as typed and puts a server 400 on the field it names', async () => {
  routes['PUT /api/v1/users/ann'] = new Reply(400, {
    error: 'Bad Request',
    field: 'imWebhook',
    message: 'body.imWebhook: 127.0.0.1 is a loopback address',
  })
  renderAs({}, <UserForm onSaved={() => {}} onCancel={() => {}} />)
  type('Name', 'ann')
  type('Email', 'ann@')
  expect(errorOf('Email')).toMatch(/email/i)
  expect(errorOf('Name')).toBeNull()
  type('Email', 'ann@example.com')
  type('IM webhook', 'http://127.0.0.1/hook')
  expect(errorOf('Email')).toBeNull()
  expect(errorOf('IM webhook')).toBeNull()

  fireEvent.click(screen.getByRole('button', { name: 'Create user' }))
  await waitFor(() => expect(errorOf('IM webhook')).toBe('127.0.0.1 is a loopback address'))
  expect(calls.at(-1)?.body).toEqual({
    name: 'ann',
    email: 'ann@example.com',
    imWebhook: 'http://127.0.0.1/hook',
  })
  expect(screen.queryByRole('alert')).toBeNull()
  type('IM webhook', 'https://chat.example.com/hook')
  expect(errorOf('IM webhook')).toBeNull()
})

it('offers only the roles the signed-in token may grant', () => {
  const offered = () =>
    within(screen.getByLabelText('Role'))
      .getAllByRole('option')
      .map((o) => (o as HTMLOptionElement).value)
  renderAs({}, <TokenForm onCreated={() => {}} onCancel={() => {}} />)
  expect(offered()).toEqual(['admin', 'editor', 'deployer', 'viewer'])
  expect((screen.getByLabelText('Role') as HTMLSelectElement).value).toBe('viewer')
  cleanup()
  renderAs({ role: 'editor' }, <TokenForm onCreated={() => {}} onCancel={() => {}} />)
  expect(offered()).toEqual(['editor', 'deployer', 'viewer'])
  cleanup()
  renderAs({ role: 'viewer' }, <TokenForm onCreated={() => {}} onCancel={() => {}} />)
  expect(offered()).toEqual(['viewer'])
})

it('keeps a new token’s scope within the signed-in token’s own', () => {
  renderAs({ scope: 'shop' }, <TokenForm onCreated={() => {}} onCancel={() => {}} />)
  expect((screen.getByLabelText('Scope') as HTMLInputElement).value).toBe('shop')
  type('Scope', 'ops')
  expect(errorOf('Scope')).toMatch(/outside your scope shop/)
  type('Scope', '')
  expect(errorOf('Scope')).toMatch(/outside your scope shop/)
  type('Scope', 'shop.web')
  expect(errorOf('Scope')).toBeNull()
  type('Scope', 'shop..web')
  expect(errorOf('Scope')).toMatch(/dotted path/)
})

it('shows a new token’s text once, and never again once dismissed', async () => {
  const text = `pgt_abcdef012345_${'9'.repeat(64)}`
  routes['GET /api/v1/tokens'] = { tokens: [] }
  routes['POST /api/v1/tokens'] = new Reply(201, {
    id: 'abcdef012345',
    name: 'ci',
    role: 'viewer',
    scope: '',
    createdAt: 1,
    createdBy: 'root',
    token: text,
  })
  renderAs({}, <TokensTab />)
  fireEvent.click(screen.getByRole('button', { name: 'New token' }))
  type('Name', 'ci')
  fireEvent.click(screen.getByRole('button', { name: 'Create token' }))
  const shown = await screen.findByLabelText('Token text')
  expect((shown as HTMLInputElement).value).toBe(text)
  expect(screen.getByRole('alert').textContent).toMatch(/will not be shown again/)
  expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ name: 'ci', role: 'viewer', scope: '' })

  fireEvent.click(screen.getByRole('button', { name: /Done/ }))
  expect(screen.queryByLabelText('Token text')).toBeNull()
  expect(document.body.innerHTML).not.toContain(text)
})

it('deletes a team with the revision read, and says plainly when it changed meanwhile', async () => {
  let revision = 3
  routes['GET /api/v1/teams'] = () => ({ teams: [{ name: 'ops', members: ['ann'], note: '', revision }] })
  routes['DELETE /api/v1/teams/ops'] = () =>
    new Reply(409, { error: 'Conflict', message: 'teams ops changed since revision 3' })
  renderAs({}, <TeamsTab />)
  await screen.findByRole('row', { name: /ops/ })
  revision = 4
  fireEvent.click(screen.getByRole('button', { name: 'Delete team ops' }))
  fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
  const alert = await screen.findByRole('alert')
  expect(alert.textContent).toMatch(/Changed by someone else meanwhile.*revision 3.*nothing was changed/)
  const deletes = calls.filter((c) => c.method === 'DELETE')
  expect(deletes).toHaveLength(1)
  // The list is read again, so the next try sends the current revision.
  await waitFor(() => expect(calls.filter((c) => c.path === '/api/v1/teams')).toHaveLength(2))
  routes['DELETE /api/v1/teams/ops'] = new Reply(204)
  fireEvent.click(screen.getByRole('button', { name: 'Delete team ops' }))
  fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
  await waitFor(() => expect(calls.filter((c) => c.method === 'DELETE')).toHaveLength(2))
})

/** The page where the app mounts it, under /admin/*. */
const adminAt = (
  <Routes>
    <Route path="admin/*" element={<AdminPage />} />
  </Routes>
)

it('lets only whole-tree admins change teams, and no one below admin in', async () => {
  routes['GET /api/v1/teams'] = { teams: [{ name: 'ops', members: [], note: '', revision: 1 }] }
  renderAs({ scope: 'shop' }, adminAt, '/admin/teams')
  await screen.findByRole('row', { name: /ops/ })
  expect(screen.queryByRole('button', { name: /Edit team/ })).toBeNull()
  expect(screen.queryByRole('button', { name: 'New team' })).toBeNull()
  cleanup()
  renderAs({}, adminAt, '/admin')
  await screen.findByRole('button', { name: 'Edit team ops' })
  expect(screen.getByRole('link', { name: 'Teams' }).getAttribute('aria-current')).toBe('page')
  cleanup()
  renderAs({ role: 'editor' }, adminAt, '/admin/teams')
  expect(screen.getByText(/needs an admin token/)).toBeTruthy()
  expect(screen.queryByRole('table')).toBeNull()
})

it('subscribes a team within the scope only, and leaves the subscriptions above it alone', async () => {
  routes['GET /api/v1/teams'] = { teams: [{ name: 'ops', members: [], note: '', revision: 1 }] }
  routes['GET /api/v1/subscriptions'] = {
    subscriptions: [
      { id: 's1', team: 'ops', node: 'corp', priorities: [0], revision: 1 },
      { id: 's2', team: 'ops', node: 'corp.shop', priorities: [0, 1], revision: 1 },
    ],
  }
  routes['POST /api/v1/subscriptions'] = new Reply(201, {})
  renderAs({ scope: 'corp.shop' }, adminAt, '/admin/subscriptions')
  const table = await screen.findByRole('table', { name: 'Subscriptions' })
  await within(table).findByRole('button', { name: 'Edit subscription of ops to corp.shop' })
  expect(within(table).getByRole('row', { name: /^ops corp P0/ }).textContent).toMatch(/inherited/)
  expect(within(table).queryByRole('button', { name: /to corp$/ })).toBeNull()

  fireEvent.click(screen.getByRole('button', { name: 'New subscription' }))
  expect((screen.getByLabelText('Subtree') as HTMLInputElement).value).toBe('corp.shop')
  type('Subtree', 'corp')
  expect(errorOf('Subtree')).toMatch(/outside your scope corp.shop/)
  type('Subtree', 'corp.shop.web')
  for (const p of [0, 1, 2, 3, 4, 5, 6]) fireEvent.click(screen.getByLabelText(`P${p}`))
  fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }))
  expect(errorOf('Team')).toBe('choose a team')
  expect(screen.getByText('choose at least one priority')).toBeTruthy()
  expect(errorOf('Subtree')).toBeNull()

  await within(screen.getByLabelText('Team')).findByRole('option', { name: 'ops' })
  fireEvent.change(screen.getByLabelText('Team'), { target: { value: 'ops' } })
  fireEvent.click(screen.getByLabelText('P1'))
  fireEvent.click(screen.getByLabelText('P0'))
  fireEvent.click(screen.getByRole('button', { name: 'Subscribe' }))
  await waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true))
  expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
    team: 'ops',
    node: 'corp.shop.web',
    priorities: [0, 1],
  })
})

it('searches the audit log by the filters in the URL, and checks them before writing them there', async () => {
  routes['GET /api/v1/audit'] = {
    records: [
      {
        at: 1_700_000_000.5,
        actor: 'root',
        actorId: 'tok1',
        action: 'update',
        kind: 'team',
        id: 'ops',
        before: { name: 'ops', members: ['ann'] },
        after: { name: 'ops', members: ['ann', 'bob'] },
        paths: [],
      },
    ],
  }
  renderAs({}, adminAt, '/admin/audit?kind=team&actor=root&from=1699990000')
  const row = await screen.findByRole('row', { name: /ops/ })
  expect(within(row).getByRole('list', { name: 'Changed fields' }).textContent).toBe(
    'members: ["ann"] → ["ann","bob"]',
  )
  expect(new URLSearchParams(calls.find((c) => c.path === '/api/v1/audit')!.query)).toEqual(
    new URLSearchParams({ kind: 'team', actor: 'root', from: '1699990000' }),
  )
  expect((screen.getByLabelText('Kind') as HTMLInputElement).value).toBe('team')

  type('To', '2023-01-01T00:00')
  expect(errorOf('To')).toBe('to must not be before from')
  expect(errorOf('From')).toBeNull()
  fireEvent.click(screen.getByRole('button', { name: 'Search' }))
  expect(errorOf('From')).toBe('from must not be after to')
  type('To', '')
  type('Id', 'ops')
  fireEvent.click(screen.getByRole('button', { name: 'Search' }))
  await waitFor(() => expect(calls.filter((c) => c.path === '/api/v1/audit')).toHaveLength(2))
  expect(new URLSearchParams(calls.at(-1)!.query)).toEqual(
    new URLSearchParams({ kind: 'team', id: 'ops', actor: 'root', from: '1699990000', limit: '100' }),
  )
})

it('describes an audit record by the fields that changed', () => {
  expect(
    changes({ name: 'ops', members: ['a'], note: '' }, { name: 'ops', members: ['a', 'b'], note: '' }),
  ).toEqual([{ key: 'members', before: '["a"]', after: '["a","b"]' }])
  expect(changes(null, { name: 'ops', note: 'x' })).toEqual([
    { key: 'name', after: '"ops"' },
    { key: 'note', after: '"x"' },
  ])
  expect(changes({ id: 't1' }, null)).toEqual([{ key: 'id', before: '"t1"' }])
  expect(changes(['a'], ['a', 'b'])).toEqual([{ key: '', before: '["a"]', after: '["a","b"]' }])
  expect(changes({ a: 1 }, { a: 1 })).toEqual([])
  expect(changes(null, { text: 'x'.repeat(500) })[0]!.after).toHaveLength(120)
})
