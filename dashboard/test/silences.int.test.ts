// Silences, inhibition rules and escalation policies through the API, on a real nats-server and
// the embedded ClickHouse: roles and scopes (a deployer silences its own subtree and nothing else),
// bodies refused with the field named, expiry, audit, and every status documented in OpenAPI.
import { AUDIT_STREAM, ConfigStore, type Silence } from '@peregrine/common'
import { waitFor } from '@peregrine/common/testing'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiCaller, type Json, recordAnswers, seedTree, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let app: FastifyInstance
let admin: string
/** Every answer given in this file: each status must be in the OpenAPI document. */
let answers: ReturnType<typeof recordAnswers>

const { as, tokenFor } = apiCaller(
  () => app,
  () => admin,
)

const now = () => Math.floor(Date.now() / 1000)
const forAnHour = () => ({ kind: 'once', from: now(), to: now() + 3600 })
const silenceBody = (match: object, extra: object = {}) => ({
  match,
  schedule: forAnHour(),
  reason: 'deploy 42',
  ...extra,
})
const ids = (body: Json) => (body.silences as { id: string }[]).map((s) => s.id)

let deployer: string
let shopViewer: string
let dbViewer: string

beforeAll(async () => {
  api = await startTestApi()
  app = api.app
  admin = api.admin!
  answers = recordAnswers(app)
  await seedTree(app, admin, ['corp', 'corp.shop', 'corp.shop.web', 'corp.db'], {
    'web-1': ['corp.shop.web'],
    'db-1': ['corp.db'],
  })
  deployer = await tokenFor('deployer', 'corp.shop')
  shopViewer = await tokenFor('viewer', 'corp.shop')
  dbViewer = await tokenFor('viewer', 'corp.db')
})

afterAll(() => api?.dispose())

describe('silences', () => {
  it('lets a deployer silence its subtree and hosts bound there, and shows the node as a path', async () => {
    const onNode = await as(deployer).post('/api/v1/silences', silenceBody({ node: 'corp.shop.web' }))
    expect(onNode.status).toBe(201)
    expect(onNode.body).toMatchObject({
      match: { node: 'corp.shop.web' },
      reason: 'deploy 42',
      createdBy: 'deployer-corp.shop',
      state: 'active',
      revision: expect.any(Number),
    })
    const stored = await (await ConfigStore.open(api.nc)).silences.get(onNode.body.id as string)
    expect(stored?.value.match.node).toMatch(/^n_/) // the node's id: the silence follows a rename
    const onHost = await as(deployer).post(
      '/api/v1/silences',
      silenceBody({ hosts: ['web-1'], metric: 'cpu.idle' }),
    )
    expect(onHost.status).toBe(201)
    expect((await as(deployer).get(`/api/v1/silences/${onHost.body.id}`)).body).toEqual(onHost.body)
  })

  it('refuses, naming why, what reaches beyond the scope or the role', async () => {
    const d = as(deployer)
    const cases: [object, RegExp][] = [
      [{ node: 'corp' }, /corp is outside the token's scope corp\.shop/],
      [{ node: 'corp.db' }, /corp\.db is outside the token's scope corp\.shop/],
      [{ hosts: ['db-1'] }, /host db-1 is not bound within the token's scope corp\.shop/],
      [{ hosts: ['web-1', 'nowhere'] }, /host nowhere is not bound within/],
      [{ metric: 'cpu.idle' }, /without node or hosts reaches the whole tree/],
    ]
    for (const [match, message] of cases) {
      const r = await d.post('/api/v1/silences', silenceBody(match))
      expect(r.status, JSON.stringify(match)).toBe(403)
      expect(r.body.message).toMatch(message)
    }
    const viewer = await as(shopViewer).post('/api/v1/silences', silenceBody({ node: 'corp.shop' }))
    expect(viewer.status).toBe(403)
    expect(viewer.body.message).toBe('this needs the deployer role; the token is viewer')
    expect((await d.post('/api/v1/silences', silenceBody({ node: 'corp.nope' }))).status).toBe(404)
  })

  it('answers 400 naming the field of a bad body', async () => {
    const a = as(admin)
    const cases: [unknown, string][] = [
      [silenceBody({}), 'match'],
      [silenceBody({ colour: 'red' }), 'match.colour'],
      [silenceBody({ node: 'Corp!' }), 'match.node'],
      [silenceBody({ hosts: Array.from({ length: 101 }, (_, i) => `h${i}`) }), 'match.hosts'],
      [silenceBody({ tags: 'nonsense' }), 'match.tags'],
      [silenceBody({ priorities: [1, 1] }), 'match.priorities'],
      [silenceBody({ metric: 'm' }, { reason: 'x'.repeat(1001) }), 'reason'],
      [silenceBody({ metric: 'm' }, { reason: '  ' }), 'reason'],
      [silenceBody({ metric: 'm' }, { schedule: { kind: 'once', from: 100, to: 50 } }), 'schedule.to'],
      [silenceBody({ metric: 'm' }, { schedule: { kind: 'once', from: 100, to: 200 } }), 'schedule.to'],
      [silenceBody({ metric: 'm' }, { schedule: { kind: 'daily' } }), 'schedule.kind'],
      [
        silenceBody(
          { metric: 'm' },
          { schedule: { kind: 'weekly', days: [7], start: '01:00', end: '02:00', timeZone: 'UTC' } },
        ),
        'schedule.days.0',
      ],
      [
        silenceBody(
          { metric: 'm' },
          { schedule: { kind: 'weekly', days: [1], start: '1:00', end: '02:00', timeZone: 'UTC' } },
        ),
        'schedule.start',
      ],
      [
        silenceBody(
          { metric: 'm' },
          { schedule: { kind: 'weekly', days: [1], start: '01:00', end: '02:00', timeZone: 'Mars/Olympus' } },
        ),
        'schedule.timeZone',
      ],
      [
        silenceBody(
          { metric: 'm' },
          {
            schedule: {
              kind: 'weekly',
              days: [1],
              start: '01:00',
              end: '02:00',
              timeZone: 'UTC',
              until: 100,
            },
          },
        ),
        'schedule.until',
      ],
      [silenceBody({ metric: 'm' }, { comment: 'typo' }), 'comment'],
    ]
    for (const [body, field] of cases) {
      const r = await a.post('/api/v1/silences', body)
      expect(r.status, field).toBe(400)
      expect(r.body.field, JSON.stringify(r.body)).toBe(field)
    }
  })

  it('shows a scoped viewer the silences that reach into its scope', async () => {
    const onDb = await as(admin).post('/api/v1/silences', silenceBody({ node: 'corp.db' }))
    const onCorp = await as(admin).post('/api/v1/silences', silenceBody({ node: 'corp' }))
    const global = await as(admin).post('/api/v1/silences', silenceBody({ priorities: [5, 6] }))
    const onDbHost = await as(admin).post('/api/v1/silences', silenceBody({ hosts: ['db-1'] }))
    const shop = ids((await as(shopViewer).get('/api/v1/silences')).body)
    const db = ids((await as(dbViewer).get('/api/v1/silences')).body)
    for (const s of [onCorp, global]) {
      expect(shop).toContain(s.body.id)
      expect(db).toContain(s.body.id)
    }
    for (const s of [onDb, onDbHost]) {
      expect(shop).not.toContain(s.body.id)
      expect(db).toContain(s.body.id)
    }
    expect((await as(shopViewer).get(`/api/v1/silences/${onDb.body.id}`)).status).toBe(403)
    expect((await as(shopViewer).get('/api/v1/silences/si_nope')).status).toBe(404)
    // And a deployer may not end a silence beyond its scope, even one it can read.
    expect((await as(deployer).del(`/api/v1/silences/${onCorp.body.id}`)).status).toBe(403)
  })

  it('extends with compare-and-set, keeps names unique, and deletes', async () => {
    const d = as(deployer)
    const created = await d.post(
      '/api/v1/silences',
      silenceBody({ node: 'corp.shop' }, { name: 'shop-deploy' }),
    )
    expect(created.status).toBe(201)
    const clash = await as(admin).post(
      '/api/v1/silences',
      silenceBody({ node: 'corp.db' }, { name: 'shop-deploy' }),
    )
    expect(clash.status).toBe(409)
    const longer = { ...silenceBody({ node: 'corp.shop' }), schedule: { ...forAnHour(), to: now() + 7200 } }
    const url = `/api/v1/silences/${created.body.id}`
    const extended = await d.put(url, { ...longer, revision: created.body.revision })
    expect(extended.status).toBe(200)
    expect(extended.body).toMatchObject({
      schedule: { to: longer.schedule.to },
      createdBy: 'deployer-corp.shop',
    })
    expect(extended.body.name).toBeUndefined() // left out of the body: removed
    expect((await d.put(url, { ...longer, revision: created.body.revision })).status).toBe(409)
    expect(
      (await d.put(url, { ...silenceBody({ node: 'corp' }), revision: extended.body.revision })).status,
    ).toBe(403)
    expect((await d.del(`${url}?revision=${created.body.revision}`)).status).toBe(409)
    expect((await d.del(url)).status).toBe(204)
    expect((await d.get(url)).status).toBe(404)
  })

  it('expires by itself, is listed as expired, and is removed a week after', async () => {
    const short = await as(admin).post(
      '/api/v1/silences',
      silenceBody({ node: 'corp.db' }, { schedule: { kind: 'once', from: now(), to: now() + 2 } }),
    )
    expect(short.body.state).toBe('active')
    await waitFor(
      async () => (await as(admin).get(`/api/v1/silences/${short.body.id}`)).body.state === 'expired',
    )
    expect(ids((await as(admin).get('/api/v1/silences')).body)).not.toContain(short.body.id)
    expect(ids((await as(admin).get('/api/v1/silences?state=expired')).body)).toEqual([short.body.id])
    expect(ids((await as(admin).get('/api/v1/silences?state=all')).body)).toContain(short.body.id)
    expect((await as(admin).get('/api/v1/silences?state=over')).body.field).toBe('state')

    const config = await ConfigStore.open(api.nc)
    const old: Silence = {
      id: 'si_old',
      match: { metric: 'cpu.idle' },
      schedule: { kind: 'once', from: now() - 9 * 86_400, to: now() - 8 * 86_400 },
      reason: 'long ago',
      createdBy: 'admin',
      createdAt: now() - 9 * 86_400,
    }
    await config.silences.create(old.id, old)
    expect((await as(admin).post('/api/v1/silences', silenceBody({ node: 'corp' }))).status).toBe(201)
    expect(await config.silences.get('si_old')).toBeNull()
    expect(await config.silences.get(short.body.id as string)).not.toBeNull() // kept: expired 1 s ago
  })

  it('records every change in the audit stream, with the paths it concerns', async () => {
    const jsm = await api.nc.jetstreamManager()
    const created = await as(deployer).post('/api/v1/silences', silenceBody({ hosts: ['web-1'] }))
    const info = await jsm.streams.info(AUDIT_STREAM)
    const last = await jsm.streams.getMessage(AUDIT_STREAM, { seq: info.state.last_seq })
    expect(last.json()).toMatchObject({
      action: 'create',
      kind: 'silence',
      id: created.body.id,
      actor: 'deployer-corp.shop',
      before: null,
      after: { match: { hosts: ['web-1'] }, reason: 'deploy 42' },
      paths: ['corp.shop.web'],
    })
  })
})

describe('inhibition rules', () => {
  it('lists the built-in heartbeat rule, which can be disabled and brought back, not deleted', async () => {
    const a = as(admin)
    const listed = await a.get('/api/v1/inhibition-rules')
    expect(listed.body.rules).toEqual([
      expect.objectContaining({ id: 'host-heartbeat', builtin: true, enabled: true, revision: null }),
    ])
    expect((await a.del('/api/v1/inhibition-rules/host-heartbeat')).status).toBe(409)
    const off = await a.put('/api/v1/inhibition-rules/host-heartbeat', {
      source: { kind: 'heartbeat' },
      target: {},
      equal: ['endpoint'],
      enabled: false,
    })
    expect(off.status).toBe(200)
    expect(off.body).toMatchObject({ builtin: true, enabled: false, revision: expect.any(Number) })
    expect((await a.get('/api/v1/inhibition-rules/host-heartbeat')).body.enabled).toBe(false)
    expect((await a.del('/api/v1/inhibition-rules/host-heartbeat')).status).toBe(204)
    expect((await a.get('/api/v1/inhibition-rules/host-heartbeat')).body).toMatchObject({
      enabled: true,
      revision: null,
    })
  })

  it('creates, updates by revision and deletes a rule; editors of the whole tree only', async () => {
    const a = as(admin)
    const rule = {
      source: { strategy: 's_lb', priorities: [0, 1] },
      target: { kind: 'value' },
      equal: ['node'],
    }
    const created = await a.put('/api/v1/inhibition-rules/lb-down', rule)
    expect(created.status).toBe(200)
    expect((await a.put('/api/v1/inhibition-rules/lb-down', rule)).status).toBe(409)
    const updated = await a.put('/api/v1/inhibition-rules/lb-down', {
      ...rule,
      note: 'the load balancer',
      revision: created.body.revision,
    })
    expect(updated.body).toMatchObject({ note: 'the load balancer', builtin: false })
    const scopedEditor = await tokenFor('editor', 'corp.shop')
    expect((await as(scopedEditor).put('/api/v1/inhibition-rules/x', rule)).status).toBe(403)
    expect((await as(deployer).put('/api/v1/inhibition-rules/x', rule)).status).toBe(403)
    expect((await as(shopViewer).get('/api/v1/inhibition-rules')).body.rules).toHaveLength(2)
    expect((await a.del('/api/v1/inhibition-rules/lb-down')).status).toBe(204)
    expect((await a.del('/api/v1/inhibition-rules/lb-down')).status).toBe(404)
  })

  it('answers 400 naming the field', async () => {
    const a = as(admin)
    const ok = { source: { kind: 'heartbeat' }, target: {}, equal: ['endpoint'] }
    for (const [url, body, field] of [
      ['/api/v1/inhibition-rules/x', { ...ok, source: {} }, 'source'],
      ['/api/v1/inhibition-rules/x', { ...ok, equal: ['host'] }, 'equal.0'],
      ['/api/v1/inhibition-rules/x', { ...ok, target: { kind: 'down' } }, 'target.kind'],
      ['/api/v1/inhibition-rules/x', { ...ok, note: 'x'.repeat(2001) }, 'note'],
      ['/api/v1/inhibition-rules/bad id', ok, 'id'],
    ] as const) {
      const r = await a.put(url, body)
      expect(r.status, field).toBe(400)
      expect(r.body.field).toBe(field)
    }
  })
})

describe('escalation policies', () => {
  const steps = [
    { afterSeconds: 300, teams: ['ops'] },
    { afterSeconds: 1800, teams: ['leads'] },
  ]

  it('needs existing teams, stores the policy on the node, and reads it by path or id', async () => {
    const a = as(admin)
    const missing = await a.put('/api/v1/escalation-policies/corp.shop', { steps })
    expect(missing.status).toBe(400)
    expect(missing.body).toMatchObject({
      field: 'steps.0.teams',
      message: 'body.steps.0.teams: no team named ops',
    })
    for (const name of ['ops', 'leads'])
      expect((await a.put(`/api/v1/teams/${name}`, { name })).status).toBe(200)
    const created = await a.put('/api/v1/escalation-policies/corp.shop', { steps, repeatEverySeconds: 3600 })
    expect(created.status).toBe(200)
    expect(created.body).toMatchObject({ node: 'corp.shop', nodeId: expect.stringMatching(/^n_/), steps })
    const byId = await a.get(`/api/v1/escalation-policies/${created.body.nodeId}`)
    expect(byId.body).toEqual(created.body)
    expect((await a.put('/api/v1/escalation-policies/corp.shop', { steps })).status).toBe(409)
    expect((await a.get('/api/v1/escalation-policies/corp.db')).status).toBe(404)
    expect((await a.put('/api/v1/escalation-policies/corp.nope', { steps })).status).toBe(404)
  })

  it('go with their node, as the silences on it', async () => {
    const a = as(admin)
    for (const name of ['ops', 'leads']) await a.put(`/api/v1/teams/${name}`, { name })
    const node = await a.post('/api/v1/tree', { path: 'corp.gone' })
    expect(node.status).toBe(201)
    const policy = await a.put('/api/v1/escalation-policies/corp.gone', { steps })
    expect(policy.status).toBe(200)
    const now = Math.floor(Date.now() / 1000)
    const silence = await a.post('/api/v1/silences', {
      match: { node: 'corp.gone' },
      schedule: { kind: 'once', from: now, to: now + 3600 },
      reason: 'moving it away',
    })
    expect(silence.status).toBe(201)
    expect((await a.del(`/api/v1/tree/corp.gone?cascade=true&version=${node.body.version}`)).status).toBe(204)
    expect((await a.get(`/api/v1/escalation-policies/${policy.body.nodeId}`)).status).toBe(404)
    expect((await a.get(`/api/v1/silences/${silence.body.id}`)).status).toBe(404)
  })

  it('is read within the view and written by editors within the scope', async () => {
    expect((await as(shopViewer).get('/api/v1/escalation-policies')).body.policies).toHaveLength(1)
    expect((await as(dbViewer).get('/api/v1/escalation-policies')).body.policies).toEqual([])
    expect((await as(dbViewer).get('/api/v1/escalation-policies/corp.shop')).status).toBe(403)
    const webEditor = await tokenFor('editor', 'corp.shop.web')
    const refused = await as(webEditor).put('/api/v1/escalation-policies/corp.shop', { steps })
    expect(refused.body.message).toBe("corp.shop is outside the token's scope corp.shop.web")
    expect((await as(webEditor).put('/api/v1/escalation-policies/corp.shop.web', { steps })).status).toBe(200)
    expect((await as(deployer).del('/api/v1/escalation-policies/corp.shop.web')).status).toBe(403)
    expect((await as(webEditor).del('/api/v1/escalation-policies/corp.shop.web')).status).toBe(204)
  })

  it('answers 400 naming the field', async () => {
    const a = as(admin)
    for (const [body, field] of [
      [{ steps: [] }, 'steps'],
      [{ steps: [steps[1], steps[0]] }, 'steps'],
      [{ steps: [{ afterSeconds: -1, teams: ['ops'] }] }, 'steps.0.afterSeconds'],
      [{ steps: [{ afterSeconds: 0, teams: [] }] }, 'steps.0.teams'],
      [{ steps, repeatEverySeconds: 10 }, 'repeatEverySeconds'],
      [{ steps, repeat: 600 }, 'repeat'],
    ] as const) {
      const r = await a.put('/api/v1/escalation-policies/corp.db', body)
      expect(r.status, field).toBe(400)
      expect(r.body.field).toBe(field)
    }
  })
})

describe('OpenAPI document', () => {
  it('documents every status these routes answered', async () => {
    const { answered, undocumented } = await answers.check((a) =>
      /\/api\/v1\/(silences|inhibition-rules|escalation-policies)/.test(a),
    )
    expect(answered.length).toBeGreaterThan(25)
    expect(undocumented).toEqual([])
  })
})
