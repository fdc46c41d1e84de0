import type { Page } from 'playwright-core'
import { expect, it } from 'vitest'
import { appErrorsStrategy, signIn, useShop, waitUntil } from './harness.ts'

type Firing = {
  key: string
  endpoint: string
  strategy: { id: string; name: string }
  ack: { by: string; note: string } | null
}
type Silence = { id: string; name?: string; match: Record<string, unknown>; reason: string; state: string }

let firing: Firing

/** One app.errors point of web-1 at this second, as an application pushes it through the agent. */
async function pushErrors(value: number): Promise<void> {
  const point = {
    endpoint: 'web-1',
    metric: 'app.errors',
    timestamp: Math.floor(Date.now() / 1000),
    step: 10,
    value,
    counterType: 'GAUGE',
    tags: '',
  }
  const res = await fetch(shop.peregrine.pushUrl, { method: 'POST', body: JSON.stringify([point]) })
  if (res.status !== 200) throw new Error(`push: ${res.status} ${await res.text()}`)
}

const firingNow = async () =>
  (await shop.peregrine.api<{ events: Firing[] }>('GET', '/api/v1/events/firing?host=web-1')).events.find(
    (e) => e.strategy.name === 'errors-high',
  )
const silences = async () =>
  (await shop.peregrine.api<{ silences: Silence[] }>('GET', '/api/v1/silences?state=all')).silences

const shop = useShop(async (p) => {
  await p.api('POST', '/api/v1/strategies', appErrorsStrategy('errors-high'))
})

/** The row of the errors-high alarm of web-1 among the P1 alarms. */
const alarmRow = (page: Page) =>
  page.getByRole('rowgroup', { name: 'P1 alarms' }).getByRole('row', { name: /web-1.*errors-high/ })

it('shows an alarm firing, acknowledges it, and silences it from the alarm', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.waitForURL(/\/alarms$/)
  // The judge decides as points arrive, once it has the new strategy: push until it fires.
  await waitUntil(
    async () => {
      await pushErrors(12)
      return (await firingNow()) !== undefined
    },
    'errors-high firing',
    90_000,
  )
  firing = (await firingNow())!
  // The page refreshes itself every 10 s: no reload.
  const row = alarmRow(page)
  await row.waitFor({ timeout: 30_000 })
  await expect(row.textContent()).resolves.toMatch(/app\.errors = 12.*all\(#1\) app\.errors > 5/)

  await row.getByRole('button', { name: 'Acknowledge…' }).click()
  await row.getByLabel('Note (optional)').fill('looking at the error rate')
  await row.getByRole('button', { name: 'Acknowledge', exact: true }).click()
  await row.getByText('looking at the error rate').waitFor()
  const me = await shop.peregrine.api<{ name: string }>('GET', '/api/v1/me')
  await expect(firingNow().then((e) => e?.ack)).resolves.toMatchObject({
    by: me.name,
    note: 'looking at the error rate',
  })
  await expect(row.getByRole('button', { name: 'Withdraw acknowledgement' }).count()).resolves.toBe(1)

  await row.getByRole('link', { name: 'Silence…' }).click()
  await page.waitForURL(/\/silences\/new\?host=web-1&strategy=/)
  const form = page.getByRole('form', { name: 'Silence' })
  await expect(form.getByLabel('Hosts', { exact: true }).inputValue()).resolves.toBe('web-1')
  await expect(form.getByLabel('Strategy', { exact: true }).inputValue()).resolves.toBe(firing.strategy.id)
  await form.getByRole('button', { name: 'Create silence' }).click()
  await form.getByText('say why').waitFor()
  await form.getByLabel('Reason', { exact: true }).fill('error rate known, fix deploying')
  await form.getByRole('button', { name: 'Create silence' }).click()
  await page.waitForURL(/\/silences$/)
  await page
    .getByRole('table', { name: 'Silences' })
    .getByRole('row', { name: /error rate known, fix deploying/ })
    .waitFor()
  const made = (await silences()).find((s) => s.reason === 'error rate known, fix deploying')
  expect(made).toMatchObject({ match: { hosts: ['web-1'], strategy: firing.strategy.id }, state: 'active' })

  // Back on the alarms, the alarm says which silence holds it.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Alarms' }).click()
  await alarmRow(page).getByRole('link', { name: 'error rate known, fix deploying' }).waitFor()

  // The node's tab shows it too, and its history.
  await page.goto(`${shop.peregrine.url}/nodes/shop.web/alarms`)
  await alarmRow(page).waitFor()
  await page
    .getByRole('table', { name: 'Events' })
    .getByRole('row', { name: /web-1.*PROBLEM|PROBLEM.*web-1/ })
    .first()
    .waitFor()
  await page.close()
}, 180_000)

it('creates a weekly silence in the editor, and ends a silence', async () => {
  const page = await signIn(shop.browser, shop.peregrine.url)
  await page.goto(`${shop.peregrine.url}/silences`)
  await page.getByRole('link', { name: 'New silence' }).click()
  const form = page.getByRole('form', { name: 'Silence' })
  await form.getByLabel('Node', { exact: true }).fill('shop.db')
  await form.getByRole('checkbox', { name: 'P3', exact: true }).check()
  await form.getByRole('radio', { name: 'Every week' }).check()
  await form.getByRole('checkbox', { name: 'Sat', exact: true }).check()
  await form.getByLabel('Start', { exact: true }).fill('22:00')
  await form.getByLabel('End', { exact: true }).fill('02:00')
  await form.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus')
  await form.getByText('an IANA time zone').waitFor()
  await form.getByLabel('Time zone', { exact: true }).fill('UTC')
  await form.getByLabel('Reason', { exact: true }).fill('weekly vacuum')
  await form.getByLabel('Name (optional)', { exact: true }).fill('db-vacuum')
  await form.getByRole('button', { name: 'Create silence' }).click()
  await page.waitForURL(/\/silences$/)
  const table = page.getByRole('table', { name: 'Silences' })
  const row = table.getByRole('row', { name: /db-vacuum/ })
  await expect(row.textContent()).resolves.toMatch(/node shop\.db.*P3.*every Sat 22:00–02:00 UTC/)
  const vacuum = (await silences()).find((s) => s.name === 'db-vacuum')
  expect(vacuum).toMatchObject({
    match: { node: 'shop.db', priorities: [3] },
    schedule: { kind: 'weekly', days: [6], start: '22:00', end: '02:00', timeZone: 'UTC' },
  })

  await row.getByRole('button', { name: 'End now: db-vacuum' }).click()
  await row.getByRole('button', { name: 'Yes, end it: db-vacuum' }).click()
  await row.waitFor({ state: 'detached' })
  await expect(silences().then((all) => all.some((s) => s.name === 'db-vacuum'))).resolves.toBe(false)
  await page.close()
}, 120_000)

it('shows a viewer the alarm and the silences, offering nothing to change', async () => {
  const { token } = await shop.peregrine.api<{ token: string }>('POST', '/api/v1/tokens', {
    name: 'watcher',
    role: 'viewer',
  })
  const page = await signIn(shop.browser, shop.peregrine.url, token)
  await page.waitForURL(/\/alarms$/)
  await alarmRow(page).waitFor()
  await expect(page.getByRole('button', { name: /Acknowledge|Withdraw/ }).count()).resolves.toBe(0)
  await expect(page.getByRole('link', { name: 'Silence…' }).count()).resolves.toBe(0)

  await page.goto(`${shop.peregrine.url}/silences`)
  await page
    .getByRole('table', { name: 'Silences' })
    .getByRole('row', { name: /error rate known/ })
    .waitFor()
  await expect(page.getByRole('link', { name: 'New silence' }).count()).resolves.toBe(0)
  await expect(page.getByRole('link', { name: /^Edit/ }).count()).resolves.toBe(0)
  await expect(page.getByRole('button', { name: /^End/ }).count()).resolves.toBe(0)
  await page.close()
}, 120_000)
