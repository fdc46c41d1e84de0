import { connect as tcpConnect } from 'node:net'
import { ConfigError, ConfigStore, fingerprint, type Store } from '@peregrine/common'
import { waitFor } from '@peregrine/common/testing'
import type { FastifyInstance } from 'fastify'
import type { NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadDashboardConfig } from '../src/config.ts'
import { startTestApi, type TestApi } from '../src/testing.ts'
import { mintToken, sha256 } from '../src/tokens.ts'

let api: TestApi
let nc: NatsConnection
let store: Store
let app: FastifyInstance
let port: number
let admin: string

const now = Math.floor(Date.now() / 1000)

/** One raw HTTP/1.1 request with the target exactly as given: no client normalises it. */
function raw(
  target: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1')
    let data = ''
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      data += d
    })
    socket.on('error', reject)
    socket.on('end', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) })
    })
    const lines = Object.entries({ Host: 'x', Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}`)
    socket.write(`GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`)
  })
}

async function call(token: string, method: string, url: string, body?: unknown) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  })
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null }
}
const get = (token: string, url: string) => call(token, 'GET', url)
const post = (url: string, body: unknown) => call(admin, 'POST', url, body)

async function tokenFor(role: string, scope: string): Promise<string> {
  const r = await post('/api/v1/tokens', { name: `${role}-${scope}`, role, scope })
  expect(r.status).toBe(201)
  return r.body.token
}

/** host-a under corp.shop, host-p bound to its parent corp, host-x to corp.shopping, host-u unbound. */
const HOSTS = { 'host-a': ['corp.shop.web'], 'host-p': ['corp'], 'host-x': ['corp.shopping'], 'host-u': [] }

async function seedMetrics(): Promise<void> {
  const series = Object.keys(HOSTS).map((endpoint) => {
    const fp = fingerprint({ endpoint, metric: 'cpu.idle', tags: '' })
    return { endpoint, fp }
  })
  await store.insertTsv(
    'series',
    ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
    series.map((s) => `${s.fp}\t${s.endpoint}\tcpu.idle\t\tGAUGE\t10\t${now - 10}\n`).join(''),
  )
  await store.insertTsv(
    'samples',
    ['fp', 'ts', 'input'],
    series.map((s) => `${s.fp}\t${now - (now % 10) - 10}\t42\n`).join(''),
  )
  await store.insertTsv(
    'endpoints',
    ['endpoint', 'agent', 'last_seen'],
    series.map((s) => `${s.endpoint}\tagent-1\t${now - 10}\n`).join(''),
  )
}

async function seedConfig(): Promise<void> {
  for (const path of ['corp', 'corp.shop', 'corp.shop.web', 'corp.shopping', 'corp.db'])
    expect((await post('/api/v1/tree', { path })).status).toBe(201)
  for (const [host, nodes] of Object.entries(HOSTS))
    if (nodes.length)
      expect((await call(admin, 'PUT', `/api/v1/hosts/${host}/nodes`, { nodes, revision: 0 })).status).toBe(
        200,
      )
  expect(
    (await call(admin, 'PUT', '/api/v1/users/ann', { name: 'ann', email: 'ann@example.com' })).status,
  ).toBe(200)
  expect((await call(admin, 'PUT', '/api/v1/teams/ops', { name: 'ops', members: ['ann'] })).status).toBe(200)
  for (const node of ['corp', 'corp.shop', 'corp.db'])
    expect((await post('/api/v1/subscriptions', { team: 'ops', node })).status).toBe(201)
  for (const node of ['corp', 'corp.shop', 'corp.db'])
    expect(
      (
        await post('/api/v1/strategies', {
          node,
          name: `busy-${node}`,
          metric: 'cpu.busy',
          fn: 'all',
          window: '#3',
          operator: '>',
          threshold: 90,
        })
      ).status,
    ).toBe(201)
}

beforeAll(async () => {
  api = await startTestApi({ listen: true })
  ;({ nc, store, app } = api)
  admin = api.admin!
  port = (app.server.address() as { port: number }).port
  await seedMetrics()
  await seedConfig()
})

afterAll(() => api?.dispose())

describe('authentication by route', () => {
  // One readable route of each family, as a token-less caller would spell it.
  const ROUTES = [
    ['api', 'v1', 'users'],
    ['api', 'v1', 'teams'],
    ['api', 'v1', 'tokens'],
    ['api', 'v1', 'subscriptions'],
    ['api', 'v1', 'tree'],
    ['api', 'v1', 'hosts'],
    ['api', 'v1', 'strategies'],
    ['api', 'v1', 'audit'],
    ['api', 'v1', 'endpoints'],
    ['api', 'v1', 'series'],
  ]
  const hex = (s: string) => [...s].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')
  const spellings = (p: string[]) => {
    const [a, v, r] = p as [string, string, string]
    return [
      `/${a}/${v}/${r}`,
      `/%61${a.slice(1)}/${v}/${r}`,
      `/${a}/${v}/${hex(r)}`,
      `/${hex(a)}/${hex(v)}/${hex(r)}`,
      `/${a}%2F${v}%2F${r}`,
      `/${a}/${v}%2f${r}`,
      `//${a}/${v}/${r}`,
      `/${a}//${v}/${r}`,
      `/${a}/${v}//${r}`,
      `/./${a}/${v}/${r}`,
      `/${a}/./${v}/${r}`,
      `/x/../${a}/${v}/${r}`,
      `/${a}/${v}/${r}/`,
      `/${a}/${v}/${r}?`,
      `/${a}/${v}/${r}?#`,
      `/${a}/${v}/${r};x`,
      `/${a.toUpperCase()}/${v}/${r}`,
      `/${a}/${v.toUpperCase()}/${r.toUpperCase()}`,
      `/${a}\\${v}\\${r}`,
      `http://x/${a}/${v}/${r}`,
      `http://x//${a}/${v}/${r}`,
      `HTTP://X/${a}/${v}/${r}`,
    ]
  }

  it('answers 401 or 404 to every spelling of every route family without a token, never data or 500', async () => {
    const seen: string[] = []
    for (const route of ROUTES) {
      for (const target of spellings(route)) {
        const res = await raw(target)
        seen.push(`${res.status} ${target}`)
        expect([400, 401, 404], `${target}: ${res.status} ${res.body.slice(0, 200)}`).toContain(res.status)
        expect(res.body).not.toMatch(/ann@example|host-a|corp\.shop|pgt_[0-9a-f]/)
      }
    }
    // The canonical spellings are real routes: with a token they answer data.
    for (const route of ROUTES) {
      const res = await raw(`/${route.join('/')}`, { Authorization: `Bearer ${admin}` })
      expect(res.status, route.join('/')).toBe(200)
    }
    expect(seen.filter((s) => s.startsWith('401')).length).toBeGreaterThanOrEqual(ROUTES.length)
  })

  // Trailing spaces are not in the list: HTTP strips them from every header value before us.
  it('accepts only "Bearer <token>" in the Authorization header', async () => {
    const text = admin
    const refused = [
      text,
      `Basic ${Buffer.from(`x:${text}`).toString('base64')}`,
      `Bearer  ${text}`,
      `Bearer ${text} extra`,
      `Bearer ${text},Bearer ${text}`,
      `Bearer\t${text}`,
      `Bearer ${text.toUpperCase()}`,
      `Bearer ${text}0`,
      `Token ${text}`,
      'Bearer',
      '',
    ]
    for (const header of refused) {
      const res = await raw('/api/v1/tree', { Authorization: header })
      expect(res.status, JSON.stringify(header)).toBe(401)
    }
    expect((await raw('/api/v1/tree', { Authorization: `bearer ${text}` })).status).toBe(200)
  })

  it('refuses a wrong secret for a real token id, and a revoked token at once', async () => {
    const token = await tokenFor('viewer', '')
    const [, id, secret] = token.split('_') as [string, string, string]
    const wrong = `pgt_${id}_${secret.slice(0, -1)}${secret.endsWith('0') ? '1' : '0'}`
    expect((await get(wrong, '/api/v1/tree')).status).toBe(401)
    expect((await get(token, '/api/v1/tree')).status).toBe(200)
    expect((await call(admin, 'DELETE', `/api/v1/tokens/${id}`)).status).toBe(204)
    expect((await get(token, '/api/v1/tree')).status).toBe(401)
  })
})

describe('tokens at rest', () => {
  it('stores a salted scrypt hash: neither the secret nor its plain SHA-256', async () => {
    const a = await tokenFor('viewer', 'corp.db')
    const b = mintToken()
    const [, id, secret] = a.split('_') as [string, string, string]
    const config = await ConfigStore.open(nc)
    const stored = (await config.tokens.get(id))!.value.hash
    expect(stored).toMatch(/^scrypt\$16384\$8\$1\$[0-9a-f]{32}\$[0-9a-f]{64}$/)
    expect(stored).not.toContain(secret)
    expect(stored).not.toContain(sha256(secret))
    expect(stored).not.toContain(b.secret)
  })

  it('upgrades a token stored as a bare SHA-256 when it is first used', async () => {
    const config = await ConfigStore.open(nc)
    const legacy = mintToken()
    await config.tokens.create(legacy.id, {
      id: legacy.id,
      name: 'legacy',
      role: 'viewer',
      scope: '',
      hash: sha256(legacy.secret),
      createdAt: Date.now(),
      createdBy: 'test',
    })
    expect((await get(legacy.text, '/api/v1/tree')).status).toBe(200)
    expect((await config.tokens.get(legacy.id))!.value.hash).toMatch(/^scrypt\$/)
    expect((await get(legacy.text, '/api/v1/tree')).status).toBe(200)
  })

  it('refuses a preset admin token without full entropy, naming the setting', () => {
    const weak = [
      `pgt_000000000000_${'0'.repeat(63)}7`,
      `pgt_0123456789ab_${'0123456789abcdef'.repeat(4)}`,
      `pgt_0123456789ab_${'deadbeef'.repeat(8)}`,
      'pgt_short',
    ]
    for (const preset of weak) {
      expect(() => loadDashboardConfig({ PEREGRINE_ADMIN_TOKEN: preset }), preset).toThrow(ConfigError)
      expect(() => loadDashboardConfig({ PEREGRINE_ADMIN_TOKEN: preset })).toThrow(/PEREGRINE_ADMIN_TOKEN/)
    }
    for (let i = 0; i < 50; i++) {
      const strong = mintToken().text
      expect(loadDashboardConfig({ PEREGRINE_ADMIN_TOKEN: strong }).adminToken).toBe(strong)
    }
  })
})

describe('scopes apply to reads', () => {
  let shop: string
  const names = <T>(list: T[], key: keyof T) => list.map((x) => x[key]).sort()

  beforeAll(async () => {
    shop = await tokenFor('viewer', 'corp.shop')
  })

  it('shows a scoped token only the endpoints bound at or below its scope', async () => {
    const endpoints = await get(shop, '/api/v1/endpoints')
    expect(endpoints.status).toBe(200)
    expect(names(endpoints.body.endpoints, 'endpoint')).toEqual(['host-a'])
    const series = await get(shop, '/api/v1/series?metric=cpu')
    expect(names(series.body.series, 'endpoint')).toEqual(['host-a'])
    const all = await get(admin, '/api/v1/endpoints')
    expect(names(all.body.endpoints, 'endpoint')).toEqual(['host-a', 'host-p', 'host-u', 'host-x'])
  })

  it('answers 403 for history or last values of an endpoint outside the scope', async () => {
    const last = await get(shop, '/api/v1/last?endpoint=host-a&metric=cpu.idle')
    expect(last.status).toBe(200)
    expect(last.body.series[0].value).toBe(42)
    for (const host of ['host-p', 'host-x', 'host-u', 'nope']) {
      expect((await get(shop, `/api/v1/last?endpoint=${host}&metric=cpu.idle`)).status).toBe(403)
      expect((await get(shop, `/api/v1/history?endpoint=${host}&metric=cpu.idle`)).status).toBe(403)
    }
    expect((await get(admin, '/api/v1/last?endpoint=host-u&metric=cpu.idle')).status).toBe(200)
  })

  it('lists hosts bound within the scope; unassigned hosts only to whole-tree tokens', async () => {
    expect(names((await get(shop, '/api/v1/hosts')).body.hosts, 'host')).toEqual(['host-a'])
    expect((await get(shop, '/api/v1/hosts/unassigned')).body.hosts).toEqual([])
    expect(names((await get(admin, '/api/v1/hosts/unassigned')).body.hosts, 'host')).toEqual(['host-u'])
    expect((await get(shop, '/api/v1/hosts/host-a/strategies')).status).toBe(200)
    expect((await get(shop, '/api/v1/hosts/host-p/strategies')).status).toBe(403)
  })

  it('shows strategies and subscriptions of the scope and the path above it, not of siblings', async () => {
    const strategies = (await get(shop, '/api/v1/strategies')).body.strategies
    expect(names(strategies, 'node')).toEqual(['corp', 'corp.shop'])
    const subs = (await get(shop, '/api/v1/subscriptions')).body.subscriptions
    expect(names(subs, 'node')).toEqual(['corp', 'corp.shop'])
    expect(names((await get(admin, '/api/v1/subscriptions')).body.subscriptions, 'node')).toEqual([
      'corp',
      'corp.db',
      'corp.shop',
    ])
  })

  it('shows user contact details only to whole-tree admins', async () => {
    const viewerAll = await tokenFor('viewer', '')
    for (const t of [shop, viewerAll, await tokenFor('admin', 'corp.shop')]) {
      expect((await get(t, '/api/v1/users')).body.users).toEqual([
        { name: 'ann', revision: expect.any(Number) },
      ])
      expect((await get(t, '/api/v1/users/ann')).body).toEqual({ name: 'ann', revision: expect.any(Number) })
    }
    expect((await get(admin, '/api/v1/users/ann')).body.email).toBe('ann@example.com')
    expect((await get(shop, '/api/v1/teams')).body.teams[0].members).toEqual(['ann'])
  })

  it('lists to a subtree admin only the tokens it could have created', async () => {
    const shopAdmin = await tokenFor('admin', 'corp.shop')
    const editor = await call(shopAdmin, 'POST', '/api/v1/tokens', {
      name: 'web-editor',
      role: 'editor',
      scope: 'corp.shop.web',
    })
    expect(editor.status).toBe(201)
    const scopes = (await get(shopAdmin, '/api/v1/tokens')).body.tokens.map((t: { scope: string }) => t.scope)
    expect(scopes.length).toBeGreaterThanOrEqual(3)
    for (const s of scopes) expect(s === 'corp.shop' || s.startsWith('corp.shop.')).toBe(true)
    const everyScope = (await get(admin, '/api/v1/tokens')).body.tokens.map((t: { scope: string }) => t.scope)
    expect(everyScope).toEqual(expect.arrayContaining(['', 'corp.db', 'corp.shop', 'corp.shop.web']))
  })
})

describe('bodies at the edge', () => {
  const send = (payload: string, contentType = 'application/json') =>
    app.inject({
      method: 'POST',
      url: '/api/v1/tree',
      headers: { authorization: `Bearer ${admin}`, 'content-type': contentType },
      payload,
    })

  it('answers every malformed, empty or oversized body in the one error shape, never 500', async () => {
    const cases: [string, string, number, RegExp][] = [
      ['{"path":', 'application/json', 400, /JSON/],
      ['', 'application/json', 400, /empty/],
      ['[1,2,3]', 'application/json', 400, /object/],
      ['path=corp', 'application/x-www-form-urlencoded', 415, /media type|content-type/i],
      [`{"path":"${'a'.repeat(2 * 1024 * 1024)}"}`, 'application/json', 413, /large/i],
      [
        '{"path":"corp.x","__proto__":{"admin":true}}',
        'application/json',
        400,
        /JSON|__proto__|Unrecognized/,
      ],
    ]
    for (const [payload, type, status, message] of cases) {
      const res = await send(payload, type)
      expect(res.statusCode, payload.slice(0, 40)).toBe(status)
      const body = res.json()
      expect(body.error).toMatch(/^[A-Z][a-z]+( [A-Z][a-z]+)*$/)
      expect(body.message).toMatch(message)
    }
  })
})

describe('token checks while NATS is down', () => {
  it('keep tokens verified before working, refuse unknown ones with 503, and honour revocation once back', async () => {
    const viewer = await tokenFor('viewer', '')
    const unseen = await tokenFor('viewer', '')
    expect((await get(viewer, '/api/v1/endpoints')).status).toBe(200)
    await api.nats.stop()
    try {
      const t0 = Date.now()
      expect((await get(viewer, '/api/v1/endpoints')).status).toBe(200)
      expect(Date.now() - t0).toBeLessThan(3000)
      expect((await get(unseen, '/api/v1/endpoints')).status).toBe(503)
      // A wrong secret (its last digit changed: one in 16 tokens already ends in 0).
      const wrong = `${viewer.slice(0, -1)}${viewer.endsWith('0') ? '1' : '0'}`
      expect((await get(wrong, '/api/v1/endpoints')).status).not.toBe(200)
    } finally {
      await api.nats.restart()
    }
    await waitFor(async () => (await get(unseen, '/api/v1/endpoints')).status === 200, 15_000, 'NATS back')
    const id = viewer.split('_')[1]
    expect((await call(admin, 'DELETE', `/api/v1/tokens/${id}`)).status).toBe(204)
    expect((await get(viewer, '/api/v1/endpoints')).status).toBe(401)
  })
})
