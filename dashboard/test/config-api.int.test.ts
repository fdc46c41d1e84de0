import { AUDIT_STREAM, ConfigStore, type Store } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import type { NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureAdminToken } from '../src/auth.ts'
import { apiCaller, type Json, recordAnswers, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let nc: NatsConnection
let store: Store
let app: FastifyInstance
let admin: string
/** Every answer given in this file: each status must be in the OpenAPI document. */
let answers: ReturnType<typeof recordAnswers>

const { call, as, tokenFor } = apiCaller(
  () => app,
  () => admin,
)

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

beforeAll(async () => {
  api = await startTestApi()
  ;({ nc, store, app } = api)
  admin = api.admin!
  answers = recordAnswers(app)
})

afterAll(() => api?.dispose())

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

  it("adds the expressions that select one of a host's series to its effective strategies", async () => {
    const a = as(admin)
    await a.post(
      '/api/v1/strategies',
      strategyBody(null, 'any-root-disk', { metric: 'df.used', tags: 'mount=/' }),
    )
    await a.post(
      '/api/v1/strategies',
      strategyBody(null, 'any-data-disk', { metric: 'df.used', tags: 'mount=/data' }),
    )
    await a.post('/api/v1/strategies', strategyBody(null, 'any-load', { metric: 'load.1min' }))
    await a.put('/api/v1/hosts/expr-1/nodes', { nodes: ['corp.web'], revision: 0 })
    const now = Math.floor(Date.now() / 1000)
    await store.insertTsv(
      'series',
      ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
      `1\texpr-1\tdf.used\tfstype=ext4,mount=/\tGAUGE\t10\t${now}\n2\tother\tload.1min\t\tGAUGE\t10\t${now}\n`,
    )
    const r = await a.get('/api/v1/hosts/expr-1/strategies')
    expect(r.status).toBe(200)
    const names = (r.body.strategies as { name: string; node: string | null; from?: string }[]).map(
      (s) => `${s.name}@${s.from ?? s.node}`,
    )
    expect(names).toContain('any-root-disk@null')
    expect(names).not.toContain('any-data-disk@null')
    expect(names).not.toContain('any-load@null')
    expect(names.at(-1)).toBe('any-root-disk@null')
  })

  it('lists reporting hosts that no node holds as unassigned, push-only ones included', async () => {
    const now = Math.floor(Date.now() / 1000)
    await store.insertTsv(
      'endpoints',
      ['endpoint', 'agent', 'last_seen'],
      `stray-1\t0.1.0\t${now}\nweb-1\t0.1.0\t${now}\napp-x\t\t${now}\n`,
    )
    const r = await as(admin).get('/api/v1/hosts/unassigned')
    expect((r.body.hosts as { host: string }[]).map((h) => h.host)).toEqual(['app-x', 'stray-1'])
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
  it('serves the persisted history; a scoped token reads only its subtree', async () => {
    const at = Date.now()
    await store.insertTsv(
      'audit',
      ['at', 'actor', 'kind', 'id', 'before', 'after', 'action', 'paths'],
      `${(at / 1000).toFixed(3)}\tadmin (x)\tstrategy\ts_1\t\t{"threshold":90}\tcreate\t[]\n` +
        `${(at / 1000).toFixed(3)}\tadmin (x)\tstrategy\ts_2\t\t{}\tcreate\t['corp.web.api']\n` +
        `${(at / 1000).toFixed(3)}\tadmin (x)\tstrategy\ts_3\t\t{}\tcreate\t['corp.webshop']\n`,
    )
    const r = await as(admin).get('/api/v1/audit?kind=strategy&id=s_1')
    expect(r.status).toBe(200)
    // Rows written before names and ids were apart: read back split, the time in seconds.
    expect(r.body.records).toEqual([
      {
        at: at / 1000,
        actor: 'admin',
        actorId: 'x',
        action: 'create',
        kind: 'strategy',
        id: 's_1',
        before: null,
        after: { threshold: 90 },
        paths: [],
      },
    ])
    const scoped = await tokenFor('viewer', 'corp.web')
    const mine = await as(scoped).get('/api/v1/audit?kind=strategy')
    expect(mine.status).toBe(200)
    expect((mine.body.records as { id: string }[]).map((rec) => rec.id)).toEqual(['s_2'])
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
      paths: ['corp.db'],
    })
    expect((record.before as { note: string }).note).toBe('')
    expect((record.after as { note: string }).note).toBe('databases')
  })
})

describe('strict bodies and queries', () => {
  it('refuses an unknown field anywhere with 400 naming it', async () => {
    const a = as(admin)
    const cases: [Promise<{ status: number; body: Json }>, string][] = [
      [a.post('/api/v1/strategies', strategyBody('corp', 'typo', { recievers: ['sre'] })), 'recievers'],
      [
        a.post(
          '/api/v1/strategies',
          strategyBody('corp', 'typo', { activeWindow: { from: '08:00', to: '20:00', tz: 'UTC' } }),
        ),
        'activeWindow.tz',
      ],
      [a.put('/api/v1/strategies/s_x', { ...strategyBody('corp', 'typo'), revision: 1, rev: 1 }), 'rev'],
      [a.post('/api/v1/tree', { path: 'corp.typo', owner: ['x'] }), 'owner'],
      [a.put('/api/v1/tree/corp', { version: 1, excludes: [{ metric: 'm', tag: 'a=1' }] }), 'excludes.0.tag'],
      [a.put('/api/v1/hosts/h/nodes', { nodes: [], revision: 0, force: true }), 'force'],
      [a.put('/api/v1/users/ann', { name: 'ann', emial: 'ann@example.com' }), 'emial'],
      [a.put('/api/v1/teams/ops', { name: 'ops', member: ['ann'] }), 'member'],
      [a.post('/api/v1/subscriptions', { team: 'sre', node: 'corp', priority: [0] }), 'priority'],
      [a.post('/api/v1/tokens', { name: 'x', role: 'viewer', scopes: 'corp' }), 'scopes'],
      [a.get('/api/v1/strategies?nod=corp'), 'nod'],
      [a.get('/api/v1/endpoints?prefx=web'), 'prefx'],
      [a.get('/api/v1/audit?kind=tree&actr=me'), 'actr'],
    ]
    for (const [request, field] of cases) {
      const r = await request
      expect([r.status, r.body.field], field).toEqual([400, field])
      expect(r.body.message).toMatch(new RegExp(`^(body|querystring)\\.${field.replaceAll('.', '\\.')}: `))
    }
  })

  it('still accepts the revision on updates (bodies are extended, not intersected)', async () => {
    const a = as(admin)
    const team = await a.put('/api/v1/teams/strict-team', { name: 'strict-team' })
    const edited = await a.put('/api/v1/teams/strict-team', {
      name: 'strict-team',
      revision: team.body.revision,
    })
    expect(edited.status).toBe(200)
  })
})

describe('references of strategies and users', () => {
  it('refuses receivers that name no team, naming receivers and the team', async () => {
    const a = as(admin)
    const bad = await a.post(
      '/api/v1/strategies',
      strategyBody('corp', 'rx', { receivers: ['sre', 'no-such-team'] }),
    )
    expect([bad.status, bad.body.field]).toEqual([400, 'receivers'])
    expect(bad.body.message).toBe('body.receivers: no team named no-such-team')
    const ok = await a.post('/api/v1/strategies', strategyBody('corp', 'rx', { receivers: ['sre'] }))
    expect(ok.status).toBe(201)
    const update = await a.put(`/api/v1/strategies/${ok.body.id}`, {
      ...strategyBody('corp', 'rx', { receivers: ['gone'] }),
      revision: ok.body.revision,
    })
    expect([update.status, update.body.field]).toEqual([400, 'receivers'])
  })

  it('refuses callbacks and IM webhooks to metadata, link-local, loopback and private addresses', async () => {
    const a = as(admin)
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://0xa9fea9fe/',
      'http://[::ffff:169.254.169.254]/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/',
      'http://localhost:8080/',
      'http://10.0.0.5/hook',
    ]) {
      const s = await a.post('/api/v1/strategies', strategyBody('corp', 'cb', { callbackUrl: url }))
      expect([s.status, s.body.field], url).toEqual([400, 'callbackUrl'])
      const u = await a.put('/api/v1/users/hooked', { name: 'hooked', imWebhook: url })
      expect([u.status, u.body.field], url).toEqual([400, 'imWebhook'])
    }
    const public_ = 'https://hooks.example.com/peregrine'
    expect(
      (await a.post('/api/v1/strategies', strategyBody('corp', 'cb', { callbackUrl: public_ }))).status,
    ).toBe(201)
    expect((await a.put('/api/v1/users/hooked', { name: 'hooked', imWebhook: public_ })).status).toBe(200)
    const user = await a.get('/api/v1/users/hooked')
    expect(user.body).toEqual({ name: 'hooked', imWebhook: public_, revision: expect.any(Number) })
    expect((await a.del(`/api/v1/users/hooked?revision=${user.body.revision}`)).status).toBe(204)
    expect((await a.get('/api/v1/users/hooked')).status).toBe(404)
  })
})

interface Operation {
  security?: Record<string, string[]>[]
  parameters?: { in: string }[]
  requestBody?: unknown
  responses: Record<string, { content?: Record<string, { schema?: { properties?: object } }> }>
}

describe('OpenAPI document', () => {
  const documentOf = async () => {
    const r = await call(null, 'GET', '/api/v1/openapi.json')
    expect(r.status).toBe(200)
    return r.body as unknown as {
      components: { securitySchemes: Record<string, unknown> }
      paths: Record<string, Record<string, Operation>>
    }
  }
  const operations = async () =>
    Object.entries((await documentOf()).paths)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))

  it('has every /api/v1 operation behind bearer tokens, with 401, its success schema and 400 for input', async () => {
    expect((await documentOf()).components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    })
    const ops = await operations()
    expect(ops.length).toBeGreaterThan(30)
    const problems: string[] = []
    for (const { path, method, op } of ops) {
      const at = `${method.toUpperCase()} ${path}`
      const codes = Object.keys(op.responses)
      const success = codes.filter((c) => c.startsWith('2'))
      if (!op.security?.some((s) => 'bearerAuth' in s)) problems.push(`${at}: no bearerAuth`)
      if (!codes.includes('401')) problems.push(`${at}: no 401`)
      if (success.length !== 1) problems.push(`${at}: success codes ${success.join(', ') || 'none'}`)
      else if (success[0] !== '204' && !op.responses[success[0]!]!.content)
        problems.push(`${at}: ${success[0]} has no schema`)
      if ((op.requestBody || op.parameters?.length) && !codes.includes('400')) problems.push(`${at}: no 400`)
      for (const code of codes.filter((c) => c >= '400'))
        if (!op.responses[code]!.content?.['application/json']?.schema?.properties)
          problems.push(`${at}: ${code} lacks the error schema`)
    }
    expect(problems).toEqual([])
  })

  it('documents every status the routes answered in this file', async () => {
    const { answered, undocumented } = await answers.check(
      (a) => a.includes(' /api/v1/') && !a.includes('/openapi.json'),
    )
    expect(answered.length).toBeGreaterThan(40)
    expect(undocumented).toEqual([])
  })
})
