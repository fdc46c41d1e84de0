import type { Locator, Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { ADMIN_TOKEN, signIn, useShop, waitUntil } from './harness.ts'

/** The link the first test shared, opened by the later ones. */
let shared = ''

const shop = useShop()

/** Fills a chart of the editor: its title and unit, and one query per [endpoint, metric]. */
async function fillChart(chart: Locator, title: string, unit: string, queries: [string, string][]) {
  await chart.getByLabel('Title').fill(title)
  await chart.getByLabel('Unit').fill(unit)
  for (const [i, [endpoint, metric]] of queries.entries()) {
    if (i > 0) await chart.getByRole('button', { name: /^Add a query/ }).click()
    const query = chart.getByRole('group', { name: `Query ${i + 1}`, exact: true })
    await query.getByLabel('Endpoint').fill(endpoint)
    await query.getByLabel('Metric').fill(metric)
  }
}

/** What a screen shows: chart titles, each chart's legend lines, the range inputs. */
async function viewOf(page: Page) {
  const figures = page.locator('main figure.chart')
  const charts: { title: string; lines: string[] }[] = []
  for (const figure of await figures.all())
    charts.push({
      title: (await figure.locator('figcaption').textContent()) ?? '',
      lines: (await figure.locator('.u-legend .u-series .u-label').allTextContents()).slice(1),
    })
  return {
    charts,
    from: await page.getByLabel('From', { exact: true }).inputValue(),
    to: await page.getByLabel('To', { exact: true }).inputValue(),
  }
}

/** The view once two reads a moment apart agree (inputs follow the address in an effect). */
async function settledView(page: Page) {
  let last = ''
  await waitUntil(async () => {
    const text = JSON.stringify(await viewOf(page))
    const same = text === last
    last = text
    return same
  }, 'the view to settle')
  return JSON.parse(last) as Awaited<ReturnType<typeof viewOf>>
}

/** Waits until every chart of the page has drawn its lines, and none says it has no data. */
async function chartsDrawn(page: Page, lines: number) {
  await waitUntil(
    // The legend's first row is the time axis.
    async () => (await page.locator('main .u-legend .u-series:not(:first-child)').count()) === lines,
    `${lines} lines`,
    30_000,
  )
  expect(await page.getByText('No data in this range.').count()).toBe(0)
}

/** The values the legend shows with the cursor in the middle of a chart: numbers where there is data. */
async function valuesUnderCursor(chart: Locator): Promise<string[]> {
  await chart.locator('.u-over').hover()
  return (await chart.locator('.u-legend .u-series .u-value').allTextContents()).slice(1)
}

it('creates a screen on shop.web with two charts over the seeded metrics and shows their data', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/screens`)
  await page.getByRole('link', { name: 'New screen' }).click()
  await page.getByLabel('Name', { exact: true }).fill('Web overview')
  await page.getByRole('button', { name: 'Add chart' }).click()
  await fillChart(page.getByRole('group', { name: /^Chart 1/ }), 'CPU busy', '%', [['web-*', 'cpu.busy']])
  await page.getByRole('button', { name: 'Add chart' }).click()
  await fillChart(page.getByRole('group', { name: /^Chart 2/ }), 'Memory used', '%', [
    ['web-1', 'mem.memused.percent'],
    ['web-2', 'mem.memused.percent'],
  ])
  await page.getByRole('button', { name: 'Save' }).click()
  await page.waitForURL(/\/nodes\/shop\.web\/screens\/sc_[0-9a-f]+$/)

  await chartsDrawn(page, 4)
  const view = await viewOf(page)
  expect(view.charts).toEqual([
    { title: 'CPU busy', lines: ['web-1 cpu.busy', 'web-2 cpu.busy'] },
    { title: 'Memory used', lines: ['web-1 mem.memused.percent', 'web-2 mem.memused.percent'] },
  ])
  for (const chart of await page.locator('main figure.chart').all())
    for (const value of await valuesUnderCursor(chart)) expect(value).toMatch(/^\d+(\.\d+)? %$/)

  const { screens } = await shop.peregrine.api<{
    screens: { name: string; node: string; createdBy: string }[]
  }>('GET', '/api/v1/screens?node=shop.web')
  expect(screens).toMatchObject([{ name: 'Web overview', node: 'shop.web', createdBy: 'admin' }])
  await page.close()
})

it('keeps a zoomed range in the link, which opens the same view in a fresh signed-in page', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/screens`)
  await page.getByRole('table', { name: 'Screens' }).getByRole('link', { name: 'Web overview' }).click()
  await chartsDrawn(page, 4)
  // The select's name is its label and its current choice ("Range Last hour").
  await page.getByRole('combobox', { name: /^Range/ }).selectOption('now-6h')
  await page.waitForURL(/from=now-6h/)
  // Dragging across a chart zooms to an absolute range.
  const over = page.locator('main figure.chart').first().locator('.u-over')
  const box = (await over.boundingBox())!
  // From about 1 h 50 min ago to 20 min ago: within the two seeded hours.
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.95, box.y + box.height / 2, { steps: 5 })
  await page.mouse.up()
  await page.waitForURL(/from=\d+&to=\d+/)
  // The router renders a navigation as a transition: the page follows the address a moment later.
  const link = page.getByLabel('Link to this view')
  await waitUntil(async () => (await link.inputValue()) === page.url(), 'the link to show the zoomed range')
  await chartsDrawn(page, 4)
  shared = page.url()
  const view = await settledView(page)
  await page.close()

  // A new browser context: nothing of the first page's session, signed in at the link itself.
  const fresh = await signIn(shop.browser, shared)
  expect(fresh.url()).toBe(shared)
  await chartsDrawn(fresh, 4)
  expect(await settledView(fresh)).toEqual(view)
  for (const value of await valuesUnderCursor(fresh.locator('main figure.chart').first()))
    expect(value).toMatch(/^\d+(\.\d+)? %$/)
  await fresh.close()
})

it('shows a viewer the screen without offering to edit it', async () => {
  const { token } = await shop.peregrine.api<{ token: string }>('POST', '/api/v1/tokens', {
    name: 'web-viewer',
    role: 'viewer',
    scope: 'shop.web',
  })
  expect(token).not.toBe(ADMIN_TOKEN)
  const page = await signIn(shop.browser, shared, token)
  await chartsDrawn(page, 4)
  expect(await page.getByRole('link', { name: 'Edit', exact: true }).count()).toBe(0)
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/screens`)
  await page.getByRole('table', { name: 'Screens' }).waitFor()
  expect(await page.getByRole('link', { name: 'New screen' }).count()).toBe(0)
  await page.close()
})

it('reorders charts, saves, and deletes the screen', async () => {
  const page = await signIn(shop.browser, shared)
  await chartsDrawn(page, 4)
  await page.getByRole('link', { name: 'Edit', exact: true }).click()
  await page.getByRole('button', { name: 'Move chart 2 earlier' }).click()
  await page.getByRole('button', { name: 'Save' }).click()
  await page.waitForURL(/\/screens\/sc_[0-9a-f]+$/)
  await chartsDrawn(page, 4)
  expect((await viewOf(page)).charts.map((c) => c.title)).toEqual(['Memory used', 'CPU busy'])

  await page.getByRole('link', { name: 'Edit', exact: true }).click()
  await page.getByRole('button', { name: 'Delete screen' }).click()
  await page.getByRole('button', { name: 'Yes, delete' }).click()
  await page.getByText('No screen on shop.web or above it yet.').waitFor()
  const { screens } = await shop.peregrine.api<{ screens: unknown[] }>('GET', '/api/v1/screens')
  expect(screens).toEqual([])
  await page.close()
})
