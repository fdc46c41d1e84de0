// The events API against the real engine: history with filters, what is firing now, and scoped
// reads (a token sees the events of hosts bound within its scope, by the paths events carry).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedTree, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let admin: string

const T = 1_800_000_000
let n = 0
/** One `events` row: key k of endpoint at time t. */
function row(k: string, endpoint: string, status: string, t: number, paths: string[], priority = 3) {
  n++
  return JSON.stringify({
    timestamp: t,
    id: n.toString(16).padStart(16, '0'),
    key: k.padStart(16, '0'),
    status,
    kind: 'value',
    step: 1,
    value: status === 'OK' ? 50 : 5,
    flapping: 0,
    endpoint,
    metric: 'cpu.idle',
    tags: '',
    strategy_id: `s-${k}`,
    strategy_name: 'cpu-low',
    node: paths[0] ?? '',
    priority,
    condition: 'all(#3) cpu.idle < 10',
    operator: '<',
    threshold: 10,
    note: '',
    receivers: ['ops'],
    callback_url: '',
    paths,
    judged_at: `${t}.250`,
  })
}

async function get(token: string, url: string) {
  const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, body: JSON.parse(res.body) }
}
const ids = (body: { events: { endpoint: string; timestamp: number }[] }) =>
  body.events.map((e) => `${e.endpoint}@${e.timestamp - T}`)

beforeAll(async () => {
  api = await startTestApi()
  admin = api.admin!
  await api.store.insertJsonRows('events', [
    row('a', 'web-1', 'PROBLEM', T, ['corp.shop.web'], 1),
    row('a', 'web-1', 'OK', T + 60, ['corp.shop.web'], 1),
    row('b', 'web-2', 'PROBLEM', T + 30, ['corp.shop.web'], 2),
    row('c', 'db-1', 'PROBLEM', T + 90, ['corp.db']),
    row('d', 'loose', 'PROBLEM', T + 120, []),
  ])
  await seedTree(api.app, admin, ['corp', 'corp.shop', 'corp.shop.web', 'corp.db'], {
    'web-1': ['corp.shop.web'],
    'db-1': ['corp.db'],
  })
})

afterAll(() => api?.dispose())

describe('GET /api/v1/events', () => {
  it('lists events newest first and filters them', async () => {
    expect(ids((await get(admin, '/api/v1/events')).body)).toEqual([
      'loose@120',
      'db-1@90',
      'web-1@60',
      'web-2@30',
      'web-1@0',
    ])
    expect(ids((await get(admin, '/api/v1/events?host=web-1')).body)).toEqual(['web-1@60', 'web-1@0'])
    expect(ids((await get(admin, '/api/v1/events?status=OK')).body)).toEqual(['web-1@60'])
    expect(ids((await get(admin, '/api/v1/events?priority=2')).body)).toEqual(['web-2@30'])
    expect(ids((await get(admin, '/api/v1/events?node=corp.shop')).body)).toEqual([
      'web-1@60',
      'web-2@30',
      'web-1@0',
    ])
    expect(ids((await get(admin, `/api/v1/events?from=${T + 30}&to=${T + 90}`)).body)).toEqual([
      'db-1@90',
      'web-1@60',
      'web-2@30',
    ])
    const [e] = (await get(admin, '/api/v1/events?host=web-1&limit=1')).body.events
    expect(e).toMatchObject({
      status: 'OK',
      judgedAt: T + 60.25,
      strategy: { node: 'corp.shop.web', callbackUrl: null },
    })
  })

  it('answers 400 naming the field for a bad filter', async () => {
    for (const [q, field] of [
      ['priority=9', 'priority'],
      ['status=FIRE', 'status'],
      ['colour=red', 'colour'],
      [`from=${T + 1}&to=${T}`, 'from'],
    ]) {
      const r = await get(admin, `/api/v1/events?${q}`)
      expect(r.status, q).toBe(400)
      expect(r.body.field, q).toBe(field)
    }
  })
})

describe('GET /api/v1/events/firing', () => {
  it('lists the keys whose last event is a PROBLEM, most urgent first', async () => {
    expect(ids((await get(admin, '/api/v1/events/firing')).body)).toEqual([
      'web-2@30',
      'loose@120',
      'db-1@90',
    ])
  })
})

describe('scoped reads', () => {
  it('shows a scoped token only the events of hosts within its scope', async () => {
    const res = await api.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: { authorization: `Bearer ${admin}` },
      payload: { name: 'shop-viewer', role: 'viewer', scope: 'corp.shop' },
    })
    const shop = JSON.parse(res.body).token as string
    expect(ids((await get(shop, '/api/v1/events')).body)).toEqual(['web-1@60', 'web-2@30', 'web-1@0'])
    expect(ids((await get(shop, '/api/v1/events/firing')).body)).toEqual(['web-2@30'])
    expect((await get(shop, '/api/v1/events?host=db-1')).status).toBe(403)
    expect((await get(shop, '/api/v1/events/firing?host=db-1')).status).toBe(403)
    expect(ids((await get(shop, '/api/v1/events?node=corp.db')).body)).toEqual([])
  })
})
