// The deploy gate end to end on the real engine: a firing event stored makes a subtree unhealthy,
// a silence on it makes it healthy again, removing the silence undoes that; hosts count as down
// without a recent heartbeat (or none since the deploy began); the question is scoped.
import { fingerprint, type Store } from '@peregrine/common'
import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedTree, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let app: FastifyInstance
let store: Store
let admin: string
let deployer: string

/** Agents reporting every minute, so a test needs not wait for the next step. */
const STEP = 60
const now = () => Math.floor(Date.now() / 1000)
/** The step before the one the clock is in: a live agent's newest heartbeat, one step behind. */
const T0 = now() - (now() % STEP) - STEP

async function call(token: string, method: 'GET' | 'POST' | 'DELETE', url: string, body?: object) {
  const headers = { authorization: `Bearer ${token}` }
  const res = await app.inject({ method, url, headers, ...(body ? { payload: body } : {}) })
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null }
}
const health = async (token: string, query: string) => call(token, 'GET', `/api/v1/health?${query}`)

/** agent.alive points of `host` at `times` (its series first, as the collector writes them). */
async function heartbeats(host: string, times: number[]): Promise<void> {
  const fp = fingerprint({ endpoint: host, metric: 'agent.alive', tags: '' })
  await store.insertTsv(
    'series',
    ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
    `${fp}\t${host}\tagent.alive\t\tGAUGE\t${STEP}\t${T0}\n`,
  )
  await store.insertTsv('samples', ['fp', 'ts', 'input'], times.map((t) => `${fp}\t${t}\t1\n`).join(''))
}

/** One stored event of `endpoint`, as the collector writes the judge's events. */
function eventRow(id: string, endpoint: string, status: string, priority: number, paths: string[]) {
  return JSON.stringify({
    timestamp: T0,
    id: id.padStart(16, '0'),
    key: `f${id}`.padStart(16, '0'),
    status,
    kind: 'value',
    step: 1,
    value: 97,
    flapping: 0,
    endpoint,
    metric: 'cpu.busy',
    tags: '',
    strategy_id: 's_cpu',
    strategy_name: 'cpu-high',
    node: '',
    priority,
    condition: 'all(#3) cpu.busy > 90',
    operator: '>',
    threshold: 90,
    note: '',
    receivers: [],
    callback_url: '',
    paths,
    judged_at: `${T0}.500`,
  })
}

beforeAll(async () => {
  api = await startTestApi()
  ;({ app, store } = api)
  admin = api.admin!
  await seedTree(app, admin, ['corp', 'corp.shop', 'corp.shop.web', 'corp.db'], {
    'web-1': ['corp.shop.web'],
    'web-2': ['corp.shop.web'],
    'db-1': ['corp.db'],
  })
  const token = await call(admin, 'POST', '/api/v1/tokens', {
    name: 'ci',
    role: 'deployer',
    scope: 'corp.shop',
  })
  deployer = token.body.token
  await heartbeats('web-1', [T0 - 2 * STEP, T0 - STEP, T0])
  await heartbeats('web-2', [T0 - STEP, T0])
  await heartbeats('db-1', [T0 - 4 * STEP])
})

afterAll(() => api?.dispose())

describe('GET /api/v1/health', () => {
  it('is healthy with every host reporting and nothing firing', async () => {
    const r = await health(deployer, 'node=corp.shop')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      node: 'corp.shop',
      healthy: true,
      reasons: [],
      firing: { total: 0, silenced: 0, events: [] },
      hosts: { total: 2, withoutHeartbeat: [] },
      silences: [],
    })
  })

  it('turns unhealthy on a stored firing event, healthy once silenced, and back when the silence goes', async () => {
    await store.insertJsonRows('events', [
      eventRow('1', 'web-1', 'PROBLEM', 1, ['corp.shop.web']),
      eventRow('2', 'db-1', 'PROBLEM', 1, ['corp.db']),
    ])
    const firing = await health(deployer, 'node=corp.shop')
    expect(firing.body).toMatchObject({
      healthy: false,
      reasons: ['1 firing event(s) not silenced: P1 ×1'],
      firing: { total: 1, byPriority: { P1: 1, P3: 0 }, silenced: 0, events: [{ endpoint: 'web-1' }] },
    })

    const silence = await call(deployer, 'POST', '/api/v1/silences', {
      match: { node: 'corp.shop' },
      schedule: { kind: 'once', from: now(), to: now() + 1800 },
      reason: 'deploy shop 1.4.2',
    })
    expect(silence.status).toBe(201)
    const quiet = await health(deployer, 'node=corp.shop')
    expect(quiet.body).toMatchObject({
      healthy: true,
      reasons: [],
      firing: { total: 0, silenced: 1, events: [] },
      silences: [{ id: silence.body.id, match: { node: 'corp.shop' }, state: 'active' }],
    })
    // The node asked about by id, and a child whose hosts the silence covers too.
    const nodeId = (await call(admin, 'GET', '/api/v1/tree/corp.shop')).body.id
    expect((await health(deployer, `node=${nodeId}`)).body).toMatchObject({
      node: 'corp.shop',
      healthy: true,
    })
    expect((await health(deployer, 'node=corp.shop.web')).body.healthy).toBe(true)
    // Asked by the deploy that made the silence, the event it holds still counts.
    const own = await health(deployer, `node=corp.shop&ownSilence=${silence.body.id}`)
    expect(own.body).toMatchObject({
      healthy: false,
      firing: { total: 1, silenced: 0 },
      silences: [{ id: silence.body.id }],
    })

    expect((await call(deployer, 'DELETE', `/api/v1/silences/${silence.body.id}`)).status).toBe(204)
    expect((await health(deployer, 'node=corp.shop')).body.healthy).toBe(false)
  })

  it('counts only the priorities asked for', async () => {
    const r = await health(deployer, 'node=corp.shop&maxPriority=0')
    expect(r.body).toMatchObject({ healthy: true, firing: { total: 1, byPriority: { P1: 1 } } })
  })

  it('calls a host down without a heartbeat for three steps, or none since the deploy began', async () => {
    const db = await health(admin, 'node=corp.db&maxPriority=0')
    expect(db.body).toMatchObject({
      healthy: false,
      reasons: ['1 of 1 host(s) without a heartbeat: db-1'],
      hosts: { total: 1, withoutHeartbeat: [{ host: 'db-1', lastHeartbeat: T0 - 4 * STEP }] },
    })
    // A deploy that began after the newest heartbeat's step waits for the next one.
    const since = T0 + STEP
    const waiting = await health(deployer, `node=corp.shop&maxPriority=0&since=${since}`)
    expect(waiting.body.hosts.withoutHeartbeat.map((h: { host: string }) => h.host)).toEqual([
      'web-1',
      'web-2',
    ])
    expect(waiting.body.reasons).toEqual(['2 of 2 host(s) without a heartbeat: web-1, web-2'])
    await heartbeats('web-1', [T0 + STEP])
    await heartbeats('web-2', [T0 + STEP])
    expect((await health(deployer, `node=corp.shop&maxPriority=0&since=${since}`)).body.healthy).toBe(true)
  })

  it('is scoped: a token answers only for a subtree it sees whole', async () => {
    const outside = await health(deployer, 'node=corp')
    expect(outside.status).toBe(403)
    expect(outside.body.message).toBe("corp is outside the token's scope corp.shop")
    expect((await health(deployer, 'node=corp.db')).status).toBe(403)
    expect((await health(deployer, 'node=corp.nope')).status).toBe(404)
    for (const [query, field] of [
      ['', 'node'],
      ['node=corp.shop&since=soon', 'since'],
      ['node=corp.shop&maxPriority=7', 'maxPriority'],
      ['node=corp.shop&verbose=1', 'verbose'],
    ] as const) {
      const r = await health(deployer, query)
      expect(r.status, query).toBe(400)
      expect(r.body.field).toBe(field)
    }
  })
})
