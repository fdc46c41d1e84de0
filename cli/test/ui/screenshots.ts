// `npm run screenshots`: the pictures in docs/ (docs/img/*.png) taken from a real Peregrine with
// the browser tests' shop, an alarm firing, a screen and a silence. Not a test: run it after a
// change to the pages and look at the result.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import {
  appErrorsStrategy,
  launchBrowser,
  pushHistory,
  seedShop,
  signIn,
  startPeregrine,
  waitUntil,
} from './harness.ts'

const out = join(import.meta.dirname, '..', '..', '..', 'docs', 'img')

const peregrine = await startPeregrine()
const browser = await launchBrowser()
try {
  await seedShop(peregrine)
  const cpuBusy = await peregrine.api<{ id: string }>('POST', '/api/v1/strategies', {
    node: 'shop.web',
    name: 'cpu-busy',
    metric: 'cpu.busy',
    fn: 'all',
    window: '#3',
    operator: '>',
    threshold: 38,
    priority: 2,
    note: 'CPU busy above 38% three times in a row',
  })
  await peregrine.api('POST', '/api/v1/strategies', {
    ...appErrorsStrategy('app-errors'),
    note: 'the checkout answers errors',
  })
  // The judge takes the new strategy up within a moment; points pushed until then are not judged by it.
  await waitUntil(async () => {
    await pushHistory(peregrine, [{ endpoint: 'web-2', metric: 'app.errors', step: 10, value: () => 12 }], 0)
    const r = await peregrine.api<{ events: unknown[] }>('GET', '/api/v1/events/firing')
    return r.events.length > 0
  }, 'the alarm to fire')
  const now = Math.floor(Date.now() / 1000)
  await peregrine.api('POST', '/api/v1/silences', {
    name: 'db-maintenance',
    match: { node: 'shop.db' },
    schedule: { kind: 'once', from: now, to: now + 7200 },
    reason: 'disk replacement on db-1',
  })
  const screen = await peregrine.api<{ id: string }>('POST', '/api/v1/screens', {
    node: 'shop.web',
    name: 'Web overview',
    charts: [
      { title: 'CPU busy', unit: '%', queries: [{ endpoint: 'web-*', metric: 'cpu.busy' }] },
      { title: 'Memory used', unit: '%', queries: [{ endpoint: 'web-*', metric: 'mem.memused.percent' }] },
      { title: 'Network in', unit: 'B/s', queries: [{ endpoint: 'web-*', metric: 'net.if.in.bytes' }] },
      { title: 'Load', queries: [{ endpoint: 'web-*', metric: 'load.1min' }] },
    ],
  })

  await mkdir(out, { recursive: true })
  const page = await signIn(browser, peregrine.url)
  const shots: [string, string][] = [
    ['alarms', '/alarms'],
    ['node-hosts', '/nodes/shop.web'],
    ['screen', `/nodes/shop.web/screens/${screen.id}?from=now-2h`],
    ['host', '/hosts/web-1?from=now-2h'],
    ['strategy-preview', `/nodes/shop.web/strategies/${cpuBusy.id}`],
    ['silences', '/silences'],
    ['admin-tokens', '/admin/tokens'],
  ]
  for (const [name, path] of shots) {
    await page.goto(`${peregrine.url}${path}`)
    await page.waitForLoadState('networkidle')
    // Charts are drawn after their data arrives, previews after their debounce.
    await page.waitForTimeout(1500)
    await page.screenshot({ path: join(out, `${name}.png`) })
    console.log(`docs/img/${name}.png`)
  }
  await page.evaluate("document.documentElement.dataset.theme = 'dark'")
  await page.goto(`${peregrine.url}/hosts/web-2?from=now-2h`)
  await page.getByRole('button', { name: /Switch to (dark|light) theme/ }).waitFor()
  const toDark = page.getByRole('button', { name: 'Switch to dark theme' })
  if (await toDark.count()) await toDark.click()
  await page.waitForLoadState('networkidle')
  await page.waitForTimeout(1500)
  await page.screenshot({ path: join(out, 'host-dark.png') })
  console.log('docs/img/host-dark.png')
} finally {
  await browser.close()
  await peregrine.stop()
}
