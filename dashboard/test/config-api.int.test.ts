import { AUDIT_STREAM, ConfigStore, createLogger, createRegistry, type Store } from '@peregrine/common'
import { openTestStore, startTestNats, type TempDir, type TestNats, tempDir } from '@peregrine/common/testing'
import type { FastifyInstance } from 'fastify'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureAdminToken } from '../src/auth.ts'
import { openConfigApi } from '../src/config/context.ts'
import { buildServer } from '../src/server.ts'

let nats: TestNats
let dir: TempDir
let nc: NatsConnection
let store: Store
let app: FastifyInstance
let admin: string

type Json = Record<string, unknown> & { [k: string]: unknown }
async function call(token: string | null, method: string, url: string, body?: unknown) {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body === undefined ? {} : { payload: body as Json }),
  })
  return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as Json }
}
const as = (token: string) => ({
  get: (url: string) => call(token, 'GET', url),
  post: (url: string, body: unknown) => call(token, 'POST', url, body),
  put: (url: string, body: unknown) => call(token, 'PUT', url, body),
  del: (url: string) => call(token, 'DELETE', url),
})

const strategyBody = (node: string | null, name: string, extra: Record<string, unknown> = {}) => ({
  node,
  name,
  metric: 'cpu.busy',
  fn: 'all',
  window: '#3',
  operator: '>',
  threshold: 90,
  ...extra,
})

async function tokenFor(role: string, scope = ''): Promise<string> {
  const r = await as(admin).post('/api/v1/tokens', { name: `${role}-${scope || 'all'}`, role, scope })
  expect(r.status).toBe(201)
  return r.body.token as string
}

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  nc = await connect(nats.connectOptions('service'))
  store = await openTestStore(dir.path)
  const configApi = await openConfigApi(nc, store)
  admin = (await ensureAdminToken(configApi.config, ''))!
  app = await buildServer({
    store,
    log: createLogger('test', 'silent'),
    registries: [createRegistry()],
    health: async () => ({ ok: true }),
    retention: { rawDays: 30, rollup1mDays: 180 },
    configApi,
  })
})

afterAll(async () => {
  await app?.close()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('authentication', () => {
  it('creates one admin token at first start, and only then', async () => {
    expect(admin).toMatch(/^pgt_[0-9a-f]{12}_[0-9a-f]{64}$/)
    expect(await ensureAdminToken(await ConfigStore.open(nc), '')).toBeNull()
  })
  it('answers 401 without a token or with a wrong one, on every API family', async () => {
    for (const url of [
      '/api/v1/tree',
      '/api/v1/strategies',
      '/api/v1/hosts',
      '/api/v1/users',
      '/api/v1/endpoints',
    ])
      expect((await call(null, 'GET', url)).status, url).toBe(401)
    const forged = `${admin.slice(0, 17)}${'0'.repeat(64)}`
    expect((await call(forged, 'GET', '/api/v1/tree')).status).toBe(401)
    expect((await call(null, 'GET', '/api/v1/openapi.json')).status).toBe(200)
  })
  it('stores tokens hashed and stops a deleted token at once', async () => {
    const created = await as(admin).post('/api/v1/tokens', { name: 'temp', role: 'viewer' })
    const list = await as(admin).get('/api/v1/tokens')
    expect(JSON.stringify(list.body)).not.toContain((created.body.token as string).slice(17))
    expect(JSON.stringify(list.body)).not.toContain('hash')
    expect((await as(created.body.token as string).get('/api/v1/tree')).status).toBe(200)
    expect((await as(admin).del(`/api/v1/tokens/${created.body.id}`)).status).toBe(204)
    expect((await as(created.body.token as string).get('/api/v1/tree')).status).toBe(401)
  })
})

describe('service tree', () => {
  it('creates nodes under existing parents only, and refuses duplicates', async () => {
    const a = as(admin)
    expect((await a.post('/api/v1/tree', { path: 'corp', owners: ['ops'] })).status).toBe(201)
    expect((await a.post('/api/v1/tree', { path: 'corp.web' })).status).toBe(201)
    expect((await a.post('/api/v1/tree', { path: 'corp.web.nginx' })).status).toBe(201)
    expect((await a.post('/api/v1/tree', { path: 'corp.db' })).status).toBe(201)
    expect((await a.post('/api/v1/tree', { path: 'corp.web' })).status).toBe(409)
    expect((await a.post('/api/v1/tree', { path: 'nope.child' })).status).toBe(404)
    const bad = await a.post('/api/v1/tree', { path: 'Corp.Bad Name' })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('path')
    const tree = await a.get('/api/v1/tree')
    expect((tree.body.nodes as { path: string }[]).map((n) => n.path)).toEqual([
      'corp',
      'corp.db',
      'corp.web',
      'corp.web.nginx',
    ])
  })

  it('rejects a stale edit with 409 and changes nothing', async () => {
    const a = as(admin)
    const node = (await a.get('/api/v1/tree/corp.web')).body
    expect((await a.put('/api/v1/tree/corp.web', { note: 'web tier', version: node.version })).status).toBe(
      200,
    )
    const stale = await a.put('/api/v1/tree/corp.web', { note: 'lost update', version: node.version })
    expect(stale.status).toBe(409)
    expect((await a.get('/api/v1/tree/corp.web')).body.note).toBe('web tier')
  })

  it('moves and renames a subtree, keeping what is bound to it', async () => {
    const a = as(admin)
    await a.post('/api/v1/tree', { path: 'corp.legacy' })
    await a.post('/api/v1/tree', { path: 'corp.legacy.app' })
    const s = await a.post('/api/v1/strategies', strategyBody('corp.legacy.app', 'app-cpu'))
    const legacy = (await a.get('/api/v1/tree/corp.legacy')).body
    const moved = await a.post('/api/v1/tree/corp.legacy/move', {
      to: 'corp.web.old',
      version: legacy.version,
    })
    expect(moved.status).toBe(200)
    expect((await a.get('/api/v1/tree/corp.web.old.app')).status).toBe(200)
    expect((await a.get('/api/v1/tree/corp.legacy')).status).toBe(404)
    expect((await a.get(`/api/v1/strategies/${s.body.id}`)).body.node).toBe('corp.web.old.app')
    const self = (await a.get('/api/v1/tree/corp.web')).body
    expect(
      (await a.post('/api/v1/tree/corp.web/move', { to: 'corp.web.old.app.x', version: self.version }))
        .status,
    ).toBe(400)
  })

  it('refuses to delete a node with children, hosts or strategies unless asked to cascade', async () => {
    const a = as(admin)
    const old = (await a.get('/api/v1/tree/corp.web.old')).body
    const refused = await a.del(`/api/v1/tree/corp.web.old?version=${old.version}`)
    expect(refused.status).toBe(409)
    expect(refused.body.message).toMatch(/child nodes.*strategies/)
    expect((await a.del(`/api/v1/tree/corp.web.old?version=${old.version}&cascade=true`)).status).toBe(204)
    expect((await a.get('/api/v1/tree/corp.web.old.app')).status).toBe(404)
    const left = (await a.get('/api/v1/strategies')).body.strategies as { name: string }[]
    expect(left.map((s) => s.name)).not.toContain('app-cpu')
  })
})

describe('hosts and effective strategies', () => {
  it('binds hosts and answers which strategies apply, from which node', async () => {
    const a = as(admin)
    await a.post('/api/v1/strategies', strategyBody('corp', 'cpu-high', { threshold: 95 }))
    await a.post(
      '/api/v1/strategies',
      strategyBody('corp', 'root-disk', { metric: 'df.bytes.used.percent', tags: 'mount=/' }),
    )
    await a.post('/api/v1/strategies', strategyBody('corp.web', 'web-cpu', { threshold: 80, priority: 1 }))
    const db = (await a.get('/api/v1/tree/corp.db')).body
    await a.put('/api/v1/tree/corp.db', {
      version: db.version,
      excludes: [{ metric: 'df.bytes.used.percent', tags: 'mount=/' }],
    })
    expect(
      (await a.put('/api/v1/hosts/web-1/nodes', { nodes: ['corp.web.nginx'], revision: 0 })).status,
    ).toBe(200)
    expect((await a.put('/api/v1/hosts/db-1/nodes', { nodes: ['corp.db'], revision: 0 })).status).toBe(200)
    expect((await a.put('/api/v1/hosts/db-1/nodes', { nodes: ['corp.db'], revision: 0 })).status).toBe(409)

    const web = await a.get('/api/v1/hosts/web-1/strategies')
    expect(
      (web.body.strategies as { name: string; from: string }[]).map((s) => `${s.name}@${s.from}`),
    ).toEqual(['web-cpu@corp.web', 'root-disk@corp'])
    const dbHost = await a.get('/api/v1/hosts/db-1/strategies')
    expect((dbHost.body.strategies as { name: string }[]).map((s) => s.name)).toEqual(['cpu-high'])
    expect((await a.get('/api/v1/hosts/nobody/strategies')).status).toBe(404)

    const direct = await a.get('/api/v1/tree/corp.web/hosts')
    expect(direct.body.hosts).toEqual([])
    const recursive = await a.get('/api/v1/tree/corp.web/hosts?recursive=true')
    expect(recursive.body.hosts).toEqual([{ host: 'web-1', nodes: ['corp.web.nginx'] }])
  })

  it('lists reporting hosts that no node holds as unassigned', async () => {
    const now = Math.floor(Date.now() / 1000)
    await store.insertTsv(
      'endpoints',
      ['endpoint', 'agent', 'last_seen'],
      `stray-1\t0.1.0\t${now}\nweb-1\t0.1.0\t${now}\napp-x\t\t${now}\n`,
    )
    const r = await as(admin).get('/api/v1/hosts/unassigned')
    expect((r.body.hosts as { host: string }[]).map((h) => h.host)).toEqual(['stray-1'])
    const hosts = await as(admin).get('/api/v1/hosts')
    expect(
      (hosts.body.hosts as { host: string; lastSeen?: number }[]).find((h) => h.host === 'web-1')?.lastSeen,
    ).toBe(now)
  })
})

describe('strategies', () => {
  it('validates, naming the field', async () => {
    const a = as(admin)
    const noThreshold = await a.post('/api/v1/strategies', {
      ...strategyBody('corp', 'x'),
      threshold: undefined,
    })
    expect([noThreshold.status, noThreshold.body.field]).toEqual([400, 'threshold'])
    const lookup = await a.post(
      '/api/v1/strategies',
      strategyBody('corp', 'x', { fn: 'lookup', window: '#5' }),
    )
    expect([lookup.status, lookup.body.field]).toEqual([400, 'hits'])
    const window = await a.post('/api/v1/strategies', strategyBody('corp', 'x', { window: '3' }))
    expect([window.status, window.body.field]).toEqual([400, 'window'])
    expect((await a.post('/api/v1/strategies', strategyBody('corp.gone', 'x'))).status).toBe(404)
    expect((await a.post('/api/v1/strategies', strategyBody('corp', 'cpu-high'))).status).toBe(409)
  })

  it('updates with compare-and-set and deletes with the revision read', async () => {
    const a = as(admin)
    const created = await a.post(
      '/api/v1/strategies',
      strategyBody(null, 'api-errors', { metric: 'app.errors', tags: 'svc=api' }),
    )
    expect(created.body.node).toBeNull()
    const id = created.body.id as string
    const rev = created.body.revision as number
    const updated = await a.put(`/api/v1/strategies/${id}`, {
      ...strategyBody(null, 'api-errors', { threshold: 5 }),
      revision: rev,
    })
    expect(updated.status).toBe(200)
    expect(
      (await a.put(`/api/v1/strategies/${id}`, { ...strategyBody(null, 'api-errors'), revision: rev }))
        .status,
    ).toBe(409)
    expect((await a.del(`/api/v1/strategies/${id}?revision=${rev}`)).status).toBe(409)
    expect((await a.del(`/api/v1/strategies/${id}?revision=${updated.body.revision}`)).status).toBe(204)
    expect((await a.get(`/api/v1/strategies/${id}`)).status).toBe(404)
  })
})

describe('roles and scopes', () => {
  it('lets each role do what it may and no more, on each route family', async () => {
    const tokens = {
      viewer: await tokenFor('viewer'),
      deployer: await tokenFor('deployer'),
      editor: await tokenFor('editor'),
    }
    const writes = [
      [
        'tree',
        (t: string) =>
          as(t).post('/api/v1/tree', { path: `corp.t${Math.random().toString(36).slice(2, 8)}` }),
      ],
      [
        'strategy',
        (t: string) =>
          as(t).post(
            '/api/v1/strategies',
            strategyBody('corp', `s${Math.random().toString(36).slice(2, 8)}`),
          ),
      ],
      [
        'host',
        (t: string) =>
          as(t).put(`/api/v1/hosts/h-${Math.random().toString(36).slice(2, 8)}/nodes`, {
            nodes: ['corp'],
            revision: 0,
          }),
      ],
      [
        'user',
        (t: string) => {
          const name = `u${Math.random().toString(36).slice(2, 8)}`
          return as(t).put(`/api/v1/users/${name}`, { name })
        },
      ],
      [
        'team',
        (t: string) => {
          const name = `t${Math.random().toString(36).slice(2, 8)}`
          return as(t).put(`/api/v1/teams/${name}`, { name, members: ['alice'] })
        },
      ],
      [
        'subscription',
        (t: string) => as(t).post('/api/v1/subscriptions', { team: 'sre', node: 'corp', priorities: [0, 1] }),
      ],
      ['token', (t: string) => as(t).post('/api/v1/tokens', { name: 'x', role: 'viewer' })],
    ] as const
    const allowed: Record<string, string[]> = {
      viewer: [],
      deployer: [],
      editor: ['tree', 'strategy', 'host'],
    }
    expect((await as(admin).put('/api/v1/teams/sre', { name: 'sre', members: [] })).status).toBe(200)
    for (const [role, token] of Object.entries(tokens)) {
      for (const url of [
        '/api/v1/teams',
        '/api/v1/subscriptions',
        '/api/v1/tree',
        '/api/v1/strategies',
        '/api/v1/hosts',
        '/api/v1/users',
        '/api/v1/endpoints',
      ])
        expect((await as(token).get(url)).status, `${role} GET ${url}`).toBe(200)
      for (const [family, write] of writes) {
        const status = (await write(token)).status
        if (allowed[role]!.includes(family)) expect(status, `${role} writes ${family}`).toBeLessThan(300)
        else expect(status, `${role} writes ${family}`).toBe(403)
      }
    }
    for (const [family, write] of writes)
      expect((await write(admin)).status, `admin writes ${family}`).toBeLessThan(300)
  })

  it('keeps a scoped token inside its subtree', async () => {
    const web = await tokenFor('editor', 'corp.web')
    expect((await as(web).post('/api/v1/tree', { path: 'corp.web.api' })).status).toBe(201)
    expect((await as(web).post('/api/v1/tree', { path: 'corp.db.replica' })).status).toBe(403)
    expect((await as(web).post('/api/v1/strategies', strategyBody('corp.db', 'nope'))).status).toBe(403)
    expect((await as(web).post('/api/v1/strategies', strategyBody(null, 'expr'))).status).toBe(403)
    expect((await as(web).get('/api/v1/tree/corp.db')).status).toBe(403)
    expect((await as(web).get('/api/v1/tree/corp')).status).toBe(200)
    const visible = ((await as(web).get('/api/v1/tree')).body.nodes as { path: string }[]).map((n) => n.path)
    expect(visible).toContain('corp.web.api')
    expect(visible).not.toContain('corp.db')
    const scopedAdmin = await tokenFor('admin', 'corp.web')
    expect(
      (await as(scopedAdmin).post('/api/v1/tokens', { name: 'wide', role: 'viewer', scope: '' })).status,
    ).toBe(403)
    expect((await as(scopedAdmin).put('/api/v1/teams/web-team', { name: 'web-team' })).status).toBe(403)
  })
})

describe('subscriptions', () => {
  it('subscribes a team to a subtree, edits with compare-and-set, and keeps scoped admins inside', async () => {
    const a = as(admin)
    await a.put('/api/v1/teams/dba', { name: 'dba', members: [] })
    const created = await a.post('/api/v1/subscriptions', {
      team: 'dba',
      node: 'corp.db',
      priorities: [0, 1, 2],
    })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    const edit = { team: 'dba', node: 'corp.db', priorities: [0] }
    const updated = await a.put(`/api/v1/subscriptions/${id}`, { ...edit, revision: created.body.revision })
    expect(updated.body).toMatchObject({ priorities: [0], node: 'corp.db' })
    expect(
      (await a.put(`/api/v1/subscriptions/${id}`, { ...edit, revision: created.body.revision })).status,
    ).toBe(409)
    expect((await a.post('/api/v1/subscriptions', { team: 'nobody', node: 'corp.db' })).status).toBe(404)
    const webAdmin = await tokenFor('admin', 'corp.web')
    expect(
      (await as(webAdmin).del(`/api/v1/subscriptions/${id}?revision=${updated.body.revision}`)).status,
    ).toBe(403)
    expect((await a.del(`/api/v1/subscriptions/${id}?revision=${updated.body.revision}`)).status).toBe(204)
  })
})

describe('audit', () => {
  it('serves the persisted history to whole-tree tokens only', async () => {
    const at = Date.now()
    await store.insertTsv(
      'audit',
      ['at', 'actor', 'kind', 'id', 'before', 'after', 'action'],
      `${(at / 1000).toFixed(3)}\tadmin (x)\tstrategy\ts_1\t\t{"threshold":90}\tcreate\n`,
    )
    const r = await as(admin).get('/api/v1/audit?kind=strategy&id=s_1')
    expect(r.status).toBe(200)
    expect(r.body.records).toEqual([
      {
        at,
        actor: 'admin (x)',
        action: 'create',
        kind: 'strategy',
        id: 's_1',
        before: null,
        after: { threshold: 90 },
      },
    ])
    const scoped = await tokenFor('viewer', 'corp.web')
    expect((await as(scoped).get('/api/v1/audit')).status).toBe(403)
    expect((await as(admin).get('/api/v1/audit?limit=0')).body.field).toBe('limit')
  })

  it('publishes every change with who, what, before and after', async () => {
    const jsm = await nc.jetstreamManager()
    const before = (await jsm.streams.info(AUDIT_STREAM)).state.messages
    const a = as(admin)
    const n = (await a.get('/api/v1/tree/corp.db')).body
    await a.put('/api/v1/tree/corp.db', { note: 'databases', version: n.version })
    const info = await jsm.streams.info(AUDIT_STREAM)
    expect(info.state.messages).toBe(before + 1)
    const last = await jsm.streams.getMessage(AUDIT_STREAM, { seq: info.state.last_seq })
    const record = last.json<Record<string, unknown>>()
    expect(record).toMatchObject({
      action: 'update',
      kind: 'tree',
      id: 'corp.db',
      actor: expect.stringContaining('admin'),
    })
    expect((record.before as { note: string }).note).toBe('')
    expect((record.after as { note: string }).note).toBe('databases')
  })
})
