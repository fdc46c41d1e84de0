import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { signIn, useShop } from './harness.ts'

type Stored = {
  id: string
  name: string
  node: string | null
  window: string
  threshold: number
  receivers: string[]
}

const shop = useShop(async (p) => {
  await p.api('PUT', '/api/v1/teams/web-oncall', { name: 'web-oncall' })
})

/** The text an input's aria-describedby points at (its error, or its hint), or null. */
async function description(page: Page, label: string): Promise<string | null> {
  const id = await page.getByLabel(label, { exact: true }).getAttribute('aria-describedby')
  return id ? page.locator(`[id="${id}"]`).textContent() : null
}

const strategiesTable = (page: Page) => page.getByRole('table', { name: 'Strategies', exact: true })

it('creates a strategy with a preview: a field error as it is typed, then the would-be events of the seeded data', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/strategies`)
  await page.getByRole('link', { name: 'New strategy' }).click()
  await page.getByRole('heading', { name: 'New strategy at shop.web' }).waitFor()

  await page.getByLabel('Name', { exact: true }).fill('web-busy')
  await page.getByLabel('Metric', { exact: true }).fill('cpu.busy')
  await page.getByLabel('Window', { exact: true }).fill('5 minutes')
  await page.getByText('a window is #N (points) or a duration like 5m').waitFor()
  expect(await description(page, 'Window')).toBe('a window is #N (points) or a duration like 5m')
  expect(await page.getByLabel('Window', { exact: true }).getAttribute('aria-invalid')).toBe('true')

  await page.getByLabel('Window', { exact: true }).fill('#1')
  await page.getByLabel('Threshold', { exact: true }).fill('30')
  expect(await description(page, 'Window')).toBeNull()

  // web-2's busy is 35 ± 5: above 30 all along, so it raises a PROBLEM (and its repeats); web-1's
  // 20 ± 5 never does. Both are evaluated and drawn.
  const preview = page.getByRole('region', { name: 'Preview' })
  const events = preview.getByRole('table', { name: 'Would-be events' })
  await events
    .getByRole('row', { name: /web-2.*PROBLEM/ })
    .first()
    .waitFor({ timeout: 30_000 })
  expect(await events.getByRole('row', { name: /web-1/ }).count()).toBe(0)
  await expect(preview.getByTestId('preview-summary').textContent()).resolves.toMatch(/^2 series evaluated/)
  await preview.locator('.chart canvas').first().waitFor()
  await expect(preview.locator('.u-legend').textContent()).resolves.toMatch(/web-2.*web-1/s)

  await page.getByRole('checkbox', { name: 'web-oncall' }).check()
  await page.getByRole('button', { name: 'Create strategy' }).click()
  await page.waitForURL(/\/nodes\/shop\.web\/strategies$/)
  const row = strategiesTable(page).getByRole('row', { name: /web-busy/ })
  await row.waitFor()
  await expect(row.textContent()).resolves.toMatch(/cpu\.busy all\(#1\) > 30.*web-oncall.*this node.*applies/)

  const { strategies } = await shop.peregrine.api<{ strategies: Stored[] }>(
    'GET',
    '/api/v1/strategies?node=shop.web',
  )
  expect(strategies).toEqual([
    expect.objectContaining({
      name: 'web-busy',
      node: 'shop.web',
      window: '#1',
      threshold: 30,
      receivers: ['web-oncall'],
    }),
  ])
  await page.close()
})

it('shows the strategy inherited on a child node with its origin, and excludes it there', async () => {
  await shop.peregrine.api('POST', '/api/v1/tree', { path: 'shop.web.canary' })
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web.canary/strategies`)
  const row = strategiesTable(page).getByRole('row', { name: /web-busy/ })
  await row.waitFor()
  await expect(row.textContent()).resolves.toMatch(/shop\.web.*applies/)
  expect(await row.getByRole('link', { name: 'shop.web', exact: true }).getAttribute('href')).toBe(
    '/nodes/shop.web/strategies',
  )

  await row.getByRole('button', { name: 'Exclude here' }).click()
  await row.getByText('excluded here').waitFor()
  const exclusions = page.getByRole('table', { name: 'Exclusions' })
  await expect(exclusions.textContent()).resolves.toMatch(/cpu\.busy/)
  const canary = await shop.peregrine.api<{ excludes: unknown[] }>('GET', '/api/v1/tree/shop.web.canary')
  expect(canary.excludes).toEqual([{ metric: 'cpu.busy', tags: '' }])
  // Still applying on the node it is bound to.
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/strategies`)
  await strategiesTable(page)
    .getByRole('row', { name: /web-busy.*applies/ })
    .waitFor()
  await page.close()
})

it('shows a viewer the strategies and a preview, and offers nothing to change', async () => {
  const { token } = await shop.peregrine.api<{ token: string }>('POST', '/api/v1/tokens', {
    name: 'e2e-viewer',
    role: 'viewer',
    scope: '',
  })
  const page = await signIn(shop.browser, shop.peregrine.url, token)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/strategies`)
  const row = strategiesTable(page).getByRole('row', { name: /web-busy/ })
  await row.waitFor()
  expect(await page.getByRole('link', { name: 'New strategy' }).count()).toBe(0)
  await row.getByRole('link', { name: 'web-busy' }).click()
  const events = page.getByRole('region', { name: 'Preview' }).getByRole('table', { name: 'Would-be events' })
  await events
    .getByRole('row', { name: /web-2.*PROBLEM/ })
    .first()
    .waitFor({ timeout: 30_000 })
  expect(await page.getByLabel('Threshold', { exact: true }).isDisabled()).toBe(true)
  expect(await page.getByRole('button', { name: /Save|Delete/ }).count()).toBe(0)
  await page.close()
})
