import { expect, it } from 'vitest'
import { pushHistory, signIn, useShop, waitUntil } from './harness.ts'

const shop = useShop()

it('refuses a wrong token, signs in with a right one and keeps it only in the tab', async () => {
  const page = await shop.browser.newPage()
  await page.goto(shop.peregrine.url)
  await page.getByLabel('API token').fill('pgt_000000000000_nope')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not valid/)
  await page.close()

  const signed = await signIn(shop.browser, shop.peregrine.url)
  expect(await signed.evaluate('document.cookie')).toBe('')
  await signed.reload()
  await signed.getByRole('button', { name: 'Sign out' }).waitFor()
  await signed.getByRole('button', { name: 'Sign out' }).click()
  await signed.getByLabel('API token').waitFor()
  expect(await signed.evaluate('sessionStorage.length')).toBe(0)
  await signed.close()
})

it('shows the tree with host counts, moves through it by keyboard and lists a node’s hosts', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  const tree = page.getByRole('tree', { name: 'Service tree' })
  const shopNode = tree.getByRole('treeitem', { name: /^shop/ }).first()
  await expect(shopNode.textContent()).resolves.toMatch(/shop.*3/)
  await shopNode.focus()
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowRight')
  await page.keyboard.press('ArrowDown')
  await expect(page.evaluate("document.activeElement?.getAttribute('data-path')")).resolves.toBe('shop.web')
  await page.keyboard.press('Enter')
  await page.waitForURL(/\/nodes\/shop\.web$/)
  const hosts = page.getByRole('table', { name: 'Hosts', exact: true })
  await hosts.getByRole('row', { name: /web-2/ }).waitFor()
  await expect(hosts.getByRole('row').count()).resolves.toBe(3)
  await expect(hosts.textContent()).resolves.toMatch(/web-1.*up.*web-2.*up/s)
  await page.close()
})

it('binds an unassigned host to a node', async () => {
  await waitUntil(async () => {
    const r = await shop.peregrine.api<{ hosts: { host: string }[] }>('GET', '/api/v1/hosts/unassigned')
    return r.hosts.some((h) => h.host === 'e2e-host')
  }, 'the agent host reporting')
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.db`)
  const bind = page.getByRole('table', { name: 'Unassigned hosts' }).getByRole('row', { name: /e2e-host/ })
  await bind.getByRole('button', { name: 'Bind to shop.db' }).click()
  await page
    .getByRole('table', { name: 'Hosts', exact: true })
    .getByRole('link', { name: 'e2e-host' })
    .waitFor()
  const bound = await shop.peregrine.api<{ hosts: { host: string; nodes: string[] }[] }>(
    'GET',
    '/api/v1/hosts',
  )
  expect(bound.hosts.find((h) => h.host === 'e2e-host')?.nodes).toEqual(['shop.db'])
  await page.close()
})

it('serves the UI with a strict content security policy and answers client routes with the app', async () => {
  const res = await fetch(`${shop.peregrine.url}/nodes/shop.web?from=now-6h`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/)
  expect(res.headers.get('x-frame-options')).toBe('DENY')
  expect(await res.text()).toMatch(/<div id="root">/)
  expect((await fetch(`${shop.peregrine.url}/api/v1/nope`)).status).toBe(404)
  expect((await fetch(`${shop.peregrine.url}/assets/nope.js`)).status).toBe(404)
})

it('shows hostile host names as text: no markup runs, links to them stay inside the app', async () => {
  const hostile = ['<img src=x onerror="window.__xss=1">', '../../api/v1/tokens?x=%2e%2e', 'a/b#c']
  await pushHistory(
    shop.peregrine,
    hostile.map((endpoint) => ({ endpoint, metric: 'cpu.idle', step: 10, value: () => 50 })),
    20,
  )
  await waitUntil(async () => {
    const r = await shop.peregrine.api<{ hosts: { host: string }[] }>('GET', '/api/v1/hosts/unassigned')
    return hostile.every((h) => r.hosts.some((x) => x.host === h))
  }, 'the hostile hosts reporting')
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.db`)
  const table = page.getByRole('table', { name: 'Unassigned hosts' })
  for (const h of hostile) await table.getByRole('cell', { name: h, exact: true }).waitFor()
  expect(await page.evaluate('window.__xss')).toBeUndefined()
  expect(await table.locator('img').count()).toBe(0)
  // Bound, each is a link to its own host page, the name escaped into one path segment.
  for (const h of hostile)
    await shop.peregrine.api('PUT', `/api/v1/hosts/${encodeURIComponent(h)}/nodes`, {
      nodes: ['shop.db'],
      revision: 0,
    })
  await page.reload()
  const hosts = page.getByRole('table', { name: 'Hosts', exact: true })
  const link = hosts.getByRole('link', { name: hostile[1]!, exact: true })
  await link.click()
  await page.waitForURL((url) => url.pathname === `/hosts/${encodeURIComponent(hostile[1]!)}`)
  expect(await page.evaluate('window.__xss')).toBeUndefined()
  await page.close()
})
