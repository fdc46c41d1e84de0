import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { signIn, useShop, waitUntil } from './harness.ts'

const shop = useShop()

type AuditRecords = {
  records: { kind: string; action: string; id: string; before: unknown; after: unknown }[]
}

const tab = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name, exact: true })

it('creates a team, a user, a subscription and a scoped viewer token whose text shows once; the viewer gets no admin or editor controls and is signed out once revoked; the audit log shows it all', async () => {
  // The agent's own host is unassigned: an editor is offered to bind it at shop.web.
  await waitUntil(async () => {
    const r = await shop.peregrine.api<{ hosts: { host: string }[] }>('GET', '/api/v1/hosts/unassigned')
    return r.hosts.some((h) => h.host === 'e2e-host')
  }, 'the agent host reporting')

  const admin = await signIn(shop.browser, shop.peregrine.url)
  await admin.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).click()
  await admin.waitForURL(/\/admin\/teams$/)

  await admin.getByRole('button', { name: 'New team' }).click()
  await admin.getByLabel('Name', { exact: true }).fill('web oncall')
  await admin.getByText('letters, digits, _ . @ -').waitFor()
  await admin.getByLabel('Name', { exact: true }).fill('web-oncall')
  await admin.getByLabel('Members').fill('ann, bob')
  await admin.getByRole('button', { name: 'Create team' }).click()
  await admin
    .getByRole('table', { name: 'Teams' })
    .getByRole('row', { name: /web-oncall.*ann, bob/ })
    .waitFor()

  await tab(admin, 'Users').click()
  await admin.getByRole('button', { name: 'New user' }).click()
  await admin.getByLabel('Name', { exact: true }).fill('ann')
  await admin.getByLabel('Email').fill('ann@example.com')
  await admin.getByRole('button', { name: 'Create user' }).click()
  await admin
    .getByRole('table', { name: 'Users' })
    .getByRole('row', { name: /ann.*ann@example\.com/ })
    .waitFor()

  await tab(admin, 'Subscriptions').click()
  await admin.getByRole('button', { name: 'New subscription' }).click()
  await admin.getByLabel('Team').selectOption('web-oncall')
  await admin.getByLabel('Subtree').fill('shop.web')
  for (const p of ['P5', 'P6']) await admin.getByLabel(p, { exact: true }).uncheck()
  await admin.getByRole('button', { name: 'Subscribe' }).click()
  const sub = admin
    .getByRole('table', { name: 'Subscriptions' })
    .getByRole('row', { name: /web-oncall.*shop\.web/ })
  await sub.waitFor()
  await expect(sub.textContent()).resolves.toMatch(/P0P1P2P3P4(?!P5)/)

  await tab(admin, 'Tokens').click()
  await admin.getByRole('button', { name: 'New token' }).click()
  await admin.getByLabel('Name', { exact: true }).fill('web-viewer')
  await admin.getByLabel('Role').selectOption('viewer')
  await admin.getByLabel('Scope').fill('shop.web')
  await admin.getByRole('button', { name: 'Create token' }).click()
  const text = await admin.getByLabel('Token text').inputValue()
  expect(text).toMatch(/^pgt_[0-9a-f]+_[0-9a-f]+$/)
  await expect(admin.getByRole('region', { name: 'New token' }).textContent()).resolves.toMatch(
    /will not be shown again/,
  )
  await admin.getByRole('button', { name: /Done/ }).click()
  const tokens = admin.getByRole('table', { name: 'Tokens' })
  await tokens.getByRole('row', { name: /web-viewer.*viewer.*shop\.web/ }).waitFor()
  expect(await admin.content()).not.toContain(text)

  // The viewer: no Admin link, and no editor's "Bind to" where the admin has one.
  const viewer = await signIn(shop.browser, shop.peregrine.url, text)
  await viewer.getByText('web-viewer · viewer · shop.web').waitFor()
  await expect(
    viewer.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admin' }).count(),
  ).resolves.toBe(0)
  await viewer.goto(`${shop.peregrine.url}/nodes/shop.web`)
  await viewer
    .getByRole('table', { name: 'Hosts', exact: true })
    .getByRole('link', { name: 'web-1' })
    .waitFor()
  await admin.goto(`${shop.peregrine.url}/nodes/shop.web`)
  await admin.getByRole('button', { name: 'Bind to shop.web' }).waitFor()
  await expect(viewer.getByRole('button', { name: /^Bind to/ }).count()).resolves.toBe(0)
  await viewer.goto(`${shop.peregrine.url}/admin/tokens`)
  await viewer.getByText(/Administration needs an admin token/).waitFor()
  await expect(viewer.getByRole('table', { name: 'Tokens' }).count()).resolves.toBe(0)
  await viewer.goto(`${shop.peregrine.url}/nodes/shop.web`)
  await viewer.getByRole('table', { name: 'Hosts', exact: true }).waitFor()

  // Revoked by the admin, the viewer is signed out at its next request.
  await admin.goto(`${shop.peregrine.url}/admin/tokens`)
  const row = admin.getByRole('table', { name: 'Tokens' }).getByRole('row', { name: /web-viewer/ })
  await row.getByRole('button', { name: /^Revoke token web-viewer/ }).click()
  await row.getByRole('button', { name: 'Yes, revoke' }).click()
  await waitUntil(async () => (await row.count()) === 0, 'the revoked token to leave the list')
  await viewer.getByRole('navigation', { name: 'Node' }).getByRole('link', { name: 'Deploy gate' }).click()
  await viewer.getByLabel('API token').waitFor()
  expect(await viewer.evaluate('sessionStorage.length')).toBe(0)
  await viewer.close()

  // The audit log has every change, the token's without its text.
  await waitUntil(async () => {
    const r = await shop.peregrine.api<AuditRecords>('GET', '/api/v1/audit?kind=token')
    return r.records.filter((x) => x.action === 'delete').length === 1
  }, 'the token changes in the audit log')
  await admin.goto(`${shop.peregrine.url}/admin/audit?actor=admin`)
  const records = admin.getByRole('table', { name: 'Audit records' })
  for (const [action, kind, id] of [
    ['create', 'team', 'web-oncall'],
    ['create', 'user', 'ann'],
    ['create', 'subscription', 'sub_'],
  ])
    await records.getByRole('row', { name: new RegExp(`admin\\s*${action}\\s*${kind}\\s*${id}`) }).waitFor()
  await admin.getByLabel('Kind').fill('token')
  await admin.getByRole('button', { name: 'Search', exact: true }).click()
  await admin.waitForURL(/[?&]kind=token/)
  // The unfiltered rows stay on screen until the filtered answer replaces them.
  let rows: string[] = []
  await waitUntil(async () => {
    rows = await records.getByRole('row').allTextContents()
    return rows.length > 1 && rows.slice(1).every((r) => /admin\s*(create|delete)\s*token/.test(r))
  }, 'the audit records of tokens only')
  // Newest first: the revocation, then the creation (the header row aside).
  expect(rows.slice(1).map((r) => r.match(/admin\s*(create|delete)\s*token/)?.[1])).toEqual([
    'delete',
    'create',
  ])
  expect(rows.join('\n')).toMatch(/name: "web-viewer"/)
  expect(rows.join('\n')).not.toContain(text.split('_')[2])
  await admin.close()
})
