// Screens through the API, on a real nats-server and the embedded ClickHouse: create, read, replace
// and delete with compare-and-set; who reads and who writes where; bounds refused with the field
// named; audit; a screen following its node on a move and going with it on a delete; and every
// status answered documented in OpenAPI.
import { AUDIT_STREAM, ConfigStore, SCREEN_LIMITS, type Screen } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiCaller, type Json, recordAnswers, seedTree, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let app: FastifyInstance
let admin: string
let config: ConfigStore
let answers: ReturnType<typeof recordAnswers>
const { as, tokenFor } = apiCaller(
  () => app,
  () => admin,
)

const cpu = { title: 'CPU', unit: '%', queries: [{ endpoint: 'web-*', metric: 'cpu.busy' }] }
const memory = {
  title: 'Memory',
  height: 200,
  queries: [{ endpoint: 'web-1', metric: 'mem.memused.percent', tags: 'b=2, a=1' }],
}
const screenBody = (node: string, name: string, extra: object = {}) => ({
  node,
  name,
  charts: [cpu],
  ...extra,
})
const names = (body: Json) => (body.screens as { name: string }[]).map((s) => s.name)

let shopEditor: string
let webViewer: string
let dbViewer: string

beforeAll(async () => {
  api = await startTestApi()
  app = api.app
  admin = api.admin!
  config = await ConfigStore.open(api.nc)
  answers = recordAnswers(app)
  await seedTree(app, admin, ['corp', 'corp.shop', 'corp.shop.web', 'corp.db'], {
    'web-1': ['corp.shop.web'],
  })
  shopEditor = await tokenFor('editor', 'corp.shop')
  webViewer = await tokenFor('viewer', 'corp.shop.web')
  dbViewer = await tokenFor('viewer', 'corp.db')
})

afterAll(() => api?.dispose())

describe('screens', () => {
  it('creates a screen on a node, stores the node id, answers the path, reads it back', async () => {
    const created = await as(shopEditor).post('/api/v1/screens', {
      node: 'corp.shop.web',
      name: ' Web overview ',
      charts: [cpu, memory],
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^sc_/),
      node: 'corp.shop.web',
      nodeId: expect.stringMatching(/^n_/),
      name: 'Web overview',
      charts: [
        { title: 'CPU', unit: '%', queries: [{ endpoint: 'web-*', metric: 'cpu.busy', tags: '' }] },
        { title: 'Memory', height: 200, queries: [{ endpoint: 'web-1', tags: 'a=1,b=2' }] },
      ],
      createdBy: 'editor-corp.shop',
      updatedBy: 'editor-corp.shop',
      revision: expect.any(Number),
    })
    const stored = await config.screens.get(created.body.id as string)
    expect(stored?.value.node).toBe(created.body.nodeId)
    expect((await as(webViewer).get(`/api/v1/screens/${created.body.id}`)).body).toEqual(created.body)
  })

  it('replaces with compare-and-set and deletes only at the revision read', async () => {
    const e = as(shopEditor)
    const created = await e.post('/api/v1/screens', screenBody('corp.shop', 'cas'))
    const url = `/api/v1/screens/${created.body.id}`
    const first = created.body.revision as number
    const renamed = await e.put(url, { ...screenBody('corp.shop', 'cas renamed'), revision: first })
    expect(renamed.status).toBe(200)
    expect(renamed.body).toMatchObject({ name: 'cas renamed', createdAt: created.body.createdAt })
    expect(renamed.body.revision).toBeGreaterThan(first)
    const stale = await e.put(url, { ...screenBody('corp.shop', 'lost update'), revision: first })
    expect(stale.status).toBe(409)
    expect(stale.body.message).toBe(`screen ${created.body.id} changed since revision ${first}`)
    expect((await e.del(`${url}?revision=${first}`)).status).toBe(409)
    expect((await e.del(url)).body.field).toBe('revision')
    expect((await e.del(`${url}?revision=${renamed.body.revision}`)).status).toBe(204)
    expect((await e.get(url)).status).toBe(404)
    expect((await e.put(url, { ...screenBody('corp.shop', 'x'), revision: 1 })).status).toBe(404)
  })

  it('moves a screen to another node by PUT, within the scope only', async () => {
    const e = as(shopEditor)
    const created = await e.post('/api/v1/screens', screenBody('corp.shop', 'mover'))
    const url = `/api/v1/screens/${created.body.id}`
    const moved = await e.put(url, {
      ...screenBody('corp.shop.web', 'mover'),
      revision: created.body.revision,
    })
    expect(moved.body.node).toBe('corp.shop.web')
    const out = await e.put(url, { ...screenBody('corp.db', 'mover'), revision: moved.body.revision })
    expect(out.status).toBe(403)
    expect(out.body.message).toBe("corp.db is outside the token's scope corp.shop")
    expect((await e.del(`${url}?revision=${moved.body.revision}`)).status).toBe(204)
  })

  it('keeps names unique within a node, not across nodes', async () => {
    const a = as(admin)
    expect((await a.post('/api/v1/screens', screenBody('corp.db', 'twice'))).status).toBe(201)
    const clash = await a.post('/api/v1/screens', screenBody('corp.db', 'twice'))
    expect(clash.status).toBe(409)
    expect(clash.body.message).toMatch(/^a screen named twice is already on corp\.db \(sc_/)
    expect((await a.post('/api/v1/screens', screenBody('corp', 'twice'))).status).toBe(201)
    const other = await a.post('/api/v1/screens', screenBody('corp.db', 'other'))
    const renamed = await a.put(`/api/v1/screens/${other.body.id}`, {
      ...screenBody('corp.db', 'twice'),
      revision: other.body.revision,
    })
    expect(renamed.status).toBe(409)
  })

  it('lists what the token sees: a node’s own, with inherited=true those above it too', async () => {
    const web = names((await as(webViewer).get('/api/v1/screens')).body)
    expect(web).toContain('Web overview')
    expect(web).toContain('twice') // on corp, above the scope: like an inherited strategy
    expect(web).not.toContain('other') // on corp.db
    const db = names((await as(dbViewer).get('/api/v1/screens')).body)
    expect(db).not.toContain('Web overview')
    expect(names((await as(webViewer).get('/api/v1/screens?node=corp.shop.web')).body)).toEqual([
      'Web overview',
    ])
    const inherited = await as(webViewer).get('/api/v1/screens?node=corp.shop.web&inherited=true')
    expect(
      (inherited.body.screens as { node: string; name: string }[]).map((s) => `${s.node}/${s.name}`),
    ).toEqual(['corp/twice', 'corp.shop.web/Web overview'])
    expect((await as(dbViewer).get('/api/v1/screens?node=corp.shop.web')).status).toBe(403)
    expect((await as(admin).get('/api/v1/screens?node=corp.nope')).status).toBe(404)
    expect((await as(admin).get('/api/v1/screens?inherited=true')).body.field).toBe('inherited')
    expect((await as(admin).get('/api/v1/screens?nod=corp')).body.field).toBe('nod')
  })

  it('lets viewers read in their view and editors write in their scope, and says why not', async () => {
    const [own] = (await as(admin).get('/api/v1/screens?node=corp.shop.web')).body.screens as Json[]
    expect((await as(dbViewer).get(`/api/v1/screens/${own!.id}`)).status).toBe(403)
    const viewer = await as(webViewer).post('/api/v1/screens', screenBody('corp.shop.web', 'nope'))
    expect(viewer.status).toBe(403)
    expect(viewer.body.message).toBe('this needs the editor role; the token is viewer')
    const outside = await as(shopEditor).post('/api/v1/screens', screenBody('corp', 'nope'))
    expect(outside.body.message).toBe("corp is outside the token's scope corp.shop")
    const [above] = (await as(admin).get('/api/v1/screens?node=corp')).body.screens as Json[]
    // Readable (above the scope), not writable.
    expect((await as(shopEditor).get(`/api/v1/screens/${above!.id}`)).status).toBe(200)
    expect(
      (await as(shopEditor).del(`/api/v1/screens/${above!.id}?revision=${above!.revision}`)).status,
    ).toBe(403)
    const deployer = await tokenFor('deployer', '')
    expect((await as(deployer).post('/api/v1/screens', screenBody('corp', 'nope'))).status).toBe(403)
    expect((await as(admin).post('/api/v1/screens', screenBody('corp.nope', 'x'))).status).toBe(404)
  })

  it('answers 400 naming the field of a bad body', async () => {
    const a = as(admin)
    const chart = (extra: object) => ({ ...cpu, ...extra })
    const query = (extra: object) => chart({ queries: [{ ...cpu.queries[0], ...extra }] })
    const cases: [object, string][] = [
      [{ charts: [cpu] }, 'node'],
      [screenBody('Corp!', 'x'), 'node'],
      [screenBody('corp', ''), 'name'],
      [screenBody('corp', '   '), 'name'],
      [screenBody('corp', 'x'.repeat(SCREEN_LIMITS.name + 1)), 'name'],
      [screenBody('corp', 'two\nlines'), 'name'],
      [screenBody('corp', 'x', { layout: 'grid' }), 'layout'],
      [
        screenBody('corp', 'x', { charts: Array.from({ length: SCREEN_LIMITS.charts + 1 }, () => cpu) }),
        'charts',
      ],
      [screenBody('corp', 'x', { charts: [cpu, chart({ title: '' })] }), 'charts.1.title'],
      [
        screenBody('corp', 'x', { charts: [chart({ title: 't'.repeat(SCREEN_LIMITS.title + 1) })] }),
        'charts.0.title',
      ],
      [
        screenBody('corp', 'x', { charts: [chart({ unit: 'u'.repeat(SCREEN_LIMITS.unit + 1) })] }),
        'charts.0.unit',
      ],
      [screenBody('corp', 'x', { charts: [chart({ height: 50 })] }), 'charts.0.height'],
      [screenBody('corp', 'x', { charts: [chart({ height: 300.5 })] }), 'charts.0.height'],
      [screenBody('corp', 'x', { charts: [chart({ colour: 'red' })] }), 'charts.0.colour'],
      [screenBody('corp', 'x', { charts: [chart({ queries: [] })] }), 'charts.0.queries'],
      [
        screenBody('corp', 'x', {
          charts: [
            chart({ queries: Array.from({ length: SCREEN_LIMITS.queries + 1 }, () => cpu.queries[0]) }),
          ],
        }),
        'charts.0.queries',
      ],
      [screenBody('corp', 'x', { charts: [query({ endpoint: '' })] }), 'charts.0.queries.0.endpoint'],
      [screenBody('corp', 'x', { charts: [query({ endpoint: 'web-*-a' })] }), 'charts.0.queries.0.endpoint'],
      [
        screenBody('corp', 'x', { charts: [query({ endpoint: 'e'.repeat(256) })] }),
        'charts.0.queries.0.endpoint',
      ],
      [screenBody('corp', 'x', { charts: [query({ metric: '' })] }), 'charts.0.queries.0.metric'],
      [
        screenBody('corp', 'x', { charts: [query({ metric: 'm'.repeat(511) })] }),
        'charts.0.queries.0.metric',
      ],
      [screenBody('corp', 'x', { charts: [query({ tags: 'nonsense' })] }), 'charts.0.queries.0.tags'],
      [screenBody('corp', 'x', { charts: [query({ host: 'web-1' })] }), 'charts.0.queries.0.host'],
    ]
    for (const [body, field] of cases) {
      const r = await a.post('/api/v1/screens', body)
      expect(r.status, field).toBe(400)
      expect(r.body.field, JSON.stringify(r.body).slice(0, 300)).toBe(field)
    }
    const update = await a.put('/api/v1/screens/sc_x', screenBody('corp', 'x'))
    expect(update.body.field).toBe('revision')
  })

  it('refuses a screen too large to store, naming charts', async () => {
    const longest = { endpoint: 'e'.repeat(255), metric: 'm'.repeat(510), tags: `t=${'v'.repeat(500)}` }
    // 20 charts of 20 such queries: about 520 KB, within the 1 MiB request limit, beyond the screen's.
    const charts = Array.from({ length: 20 }, (_, i) => ({
      title: `chart ${i}`,
      queries: Array.from({ length: SCREEN_LIMITS.queries }, () => longest),
    }))
    const r = await as(admin).post('/api/v1/screens', screenBody('corp', 'huge', { charts }))
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({
      field: 'charts',
      message: expect.stringMatching(/KiB, more than 256 KiB/),
    })
  })

  it(`holds at most ${SCREEN_LIMITS.perNode} screens a node (409 beyond)`, async () => {
    await as(admin).post('/api/v1/tree', { path: 'corp.full' })
    const { tree } = await config.tree()
    const node = tree.byPath.get('corp.full')!.id
    for (let i = 0; i < SCREEN_LIMITS.perNode - 1; i++) {
      const s: Screen = {
        id: `sc_seed${i}`,
        node,
        name: `seeded ${i}`,
        charts: [],
        createdBy: 'test',
        createdAt: 1,
        updatedBy: 'test',
        updatedAt: 1,
      }
      await config.screens.create(s.id, s)
    }
    expect((await as(admin).post('/api/v1/screens', screenBody('corp.full', 'last one'))).status).toBe(201)
    const full = await as(admin).post('/api/v1/screens', screenBody('corp.full', 'one too many'))
    expect(full.status).toBe(409)
    expect(full.body.message).toBe(
      `corp.full has ${SCREEN_LIMITS.perNode} screens, the most allowed: delete some first`,
    )
  })

  it('follows its node when the subtree moves, and goes with it when it is deleted', async () => {
    const a = as(admin)
    const node = await a.post('/api/v1/tree', { path: 'corp.old' })
    const screen = await a.post('/api/v1/screens', screenBody('corp.old', 'travels'))
    const moved = await a.post('/api/v1/tree/corp.old/move', { to: 'corp.new', version: node.body.version })
    expect(moved.status).toBe(200)
    expect((await a.get(`/api/v1/screens/${screen.body.id}`)).body.node).toBe('corp.new')
    expect((await a.del(`/api/v1/tree/corp.new?version=${moved.body.version}`)).status).toBe(204)
    expect((await a.get(`/api/v1/screens/${screen.body.id}`)).status).toBe(404)
    expect(await config.screens.get(screen.body.id as string)).toBeNull()
  })

  it('records every change in the audit stream, with the paths it concerns', async () => {
    const jsm = await api.nc.jetstreamManager()
    const last = async () => {
      const info = await jsm.streams.info(AUDIT_STREAM)
      return (await jsm.streams.getMessage(AUDIT_STREAM, { seq: info.state.last_seq })).json()
    }
    const e = as(shopEditor)
    const created = await e.post('/api/v1/screens', screenBody('corp.shop', 'audited'))
    expect(await last()).toMatchObject({
      action: 'create',
      kind: 'screen',
      id: created.body.id,
      actor: 'editor-corp.shop',
      before: null,
      after: { name: 'audited', charts: [{ title: 'CPU' }] },
      paths: ['corp.shop'],
    })
    const moved = await e.put(`/api/v1/screens/${created.body.id}`, {
      ...screenBody('corp.shop.web', 'audited'),
      revision: created.body.revision,
    })
    expect(await last()).toMatchObject({ action: 'update', paths: ['corp.shop', 'corp.shop.web'] })
    await e.del(`/api/v1/screens/${created.body.id}?revision=${moved.body.revision}`)
    expect(await last()).toMatchObject({ action: 'delete', after: null, paths: ['corp.shop.web'] })
  })
})

describe('OpenAPI document', () => {
  it('documents every status these routes answered', async () => {
    const { answered, undocumented } = await answers.check((a) => a.includes('/api/v1/screens'))
    expect(answered.length).toBeGreaterThan(15)
    expect(undocumented).toEqual([])
  })
})
