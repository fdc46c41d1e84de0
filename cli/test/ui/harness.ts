import { randomBytes } from 'node:crypto'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { buildUiIfStale } from '../../../scripts/ui-build.mjs'
import { type AllInOne, startAllInOne } from '../allinone.ts'

/** The admin token given at first start, so the tests sign in without reading it from the output. */
export const ADMIN_TOKEN = `pgt_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('hex')}`

export interface RunningPeregrine {
  /** The dashboard: UI at `/`, API under `/api/v1`. */
  url: string
  /** The agent's push endpoint. */
  pushUrl: string
  process: AllInOne
  /** Calls the API as the admin; throws with the answer on a status ≥ 400. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
  stop(): Promise<void>
}

/**
 * A real Peregrine (`peregrine all`: nats-server, collector, judge, alarm, dashboard serving the
 * built UI, an agent) in a temporary folder. The UI is built first if its sources changed.
 */
export async function startPeregrine(env: NodeJS.ProcessEnv = {}): Promise<RunningPeregrine> {
  buildUiIfStale()
  const dir: TempDir = await tempDir('peregrine-ui-')
  const proc = startAllInOne(dir.path, { PEREGRINE_ADMIN_TOKEN: ADMIN_TOKEN, AGENT_STEP: '10', ...env })
  const url = String((await proc.logged('dashboard listening')).url)
  const pushUrl = `http://127.0.0.1:${Number((await proc.logged('agent started')).port)}/v1/push`
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }
  return {
    url,
    pushUrl,
    process: proc,
    api,
    async stop() {
      if (proc.child.exitCode === null) {
        proc.child.kill('SIGTERM')
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 15_000)
        await proc.exited
        clearTimeout(timer)
      }
      await dir.remove()
    },
  }
}

export interface SeriesSeed {
  endpoint: string
  metric: string
  tags?: string
  counterType?: 'GAUGE' | 'COUNTER'
  step?: number
  /** The value at each point, given its index and unix time. */
  value(i: number, ts: number): number
}

/** Pushes points for the last `seconds` (up to now) through the agent, as an application would. */
export async function pushHistory(
  p: RunningPeregrine,
  series: readonly SeriesSeed[],
  seconds: number,
): Promise<void> {
  const now = Math.floor(Date.now() / 1000)
  let batch: unknown[] = []
  const flush = async () => {
    if (!batch.length) return
    const res = await fetch(p.pushUrl, { method: 'POST', body: JSON.stringify(batch) })
    if (res.status !== 200) throw new Error(`push: ${res.status} ${await res.text()}`)
    batch = []
  }
  for (const s of series) {
    const step = s.step ?? 60
    const start = now - seconds - ((now - seconds) % step)
    for (let ts = start, i = 0; ts <= now; ts += step, i++) {
      batch.push({
        endpoint: s.endpoint,
        metric: s.metric,
        timestamp: ts,
        step,
        value: s.value(i, ts),
        counterType: s.counterType ?? 'GAUGE',
        tags: s.tags ?? '',
      })
      if (batch.length >= 5000) await flush()
    }
  }
  await flush()
}

/** The default host charts' metrics for `host`, two hours of them, with a daily-looking shape. */
export function hostSeries(host: string, busy = 20): SeriesSeed[] {
  const wave = (i: number) => Math.sin(i / 10)
  return [
    { endpoint: host, metric: 'cpu.idle', value: (i) => 100 - busy - 5 * wave(i) },
    { endpoint: host, metric: 'cpu.busy', value: (i) => busy + 5 * wave(i) },
    { endpoint: host, metric: 'mem.memused.percent', value: (i) => 40 + 3 * wave(i) },
    { endpoint: host, metric: 'load.1min', value: (i) => 1 + wave(i) / 2 },
    { endpoint: host, metric: 'df.bytes.used.percent', tags: 'mount=/', value: (i) => 60 + i / 100 },
    {
      endpoint: host,
      metric: 'net.if.in.bytes',
      tags: 'iface=eth0',
      counterType: 'COUNTER',
      value: (i) => i * 60_000,
    },
    {
      endpoint: host,
      metric: 'net.if.out.bytes',
      tags: 'iface=eth0',
      counterType: 'COUNTER',
      value: (i) => i * 30_000,
    },
  ]
}

/**
 * The shop of the browser tests: `shop.web` (web-1, web-2) and `shop.db` (db-1), two hours of
 * host metrics each, waited for until the API answers them. The agent's own host stays unassigned.
 */
export async function seedShop(p: RunningPeregrine): Promise<void> {
  for (const path of ['shop', 'shop.web', 'shop.db']) await p.api('POST', '/api/v1/tree', { path })
  for (const [host, node] of [
    ['web-1', 'shop.web'],
    ['web-2', 'shop.web'],
    ['db-1', 'shop.db'],
  ] as const)
    await p.api('PUT', `/api/v1/hosts/${host}/nodes`, { nodes: [node], revision: 0 })
  await pushHistory(
    p,
    [...hostSeries('web-1'), ...hostSeries('web-2', 35), ...hostSeries('db-1', 50)],
    2 * 3600,
  )
  await waitUntil(async () => {
    const r = await p.api<{ series: { values: number[] }[] }>(
      'GET',
      `/api/v1/history?endpoint=db-1&metric=net.if.out.bytes&from=${Math.floor(Date.now() / 1000) - 7200}`,
    )
    return (r.series[0]?.values.length ?? 0) > 100
  }, 'the seeded history')
}

export async function waitUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Debian's Chromium, headless, driven by playwright-core (which never downloads a browser). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** Opens the UI and signs in with `token` (the admin's by default). */
export async function signIn(browser: Browser, url: string, token = ADMIN_TOKEN): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(url)
  await page.getByLabel('API token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  return page
}

export interface Shop {
  peregrine: RunningPeregrine
  browser: Browser
}

/**
 * A test file's Peregrine with the seeded shop (and whatever `prepare` adds) and its browser,
 * started before the file's tests and stopped after them.
 */
export function useShop(prepare?: (peregrine: RunningPeregrine) => Promise<void>): Shop {
  const shop = {} as Shop
  beforeAll(async () => {
    ;[shop.peregrine, shop.browser] = await Promise.all([startPeregrine(), launchBrowser()])
    await seedShop(shop.peregrine)
    await prepare?.(shop.peregrine)
  }, 180_000)
  afterAll(async () => {
    await shop.browser?.close()
    await shop.peregrine?.stop()
  })
  return shop
}

/** A P1 strategy on shop.web that fires as soon as a host pushes `app.errors` above 5. */
export const appErrorsStrategy = (name: string) => ({
  node: 'shop.web',
  name,
  metric: 'app.errors',
  fn: 'all',
  window: '#1',
  operator: '>',
  threshold: 5,
  priority: 1,
})
