// History and last values of several endpoints and metrics in one request: the same series and
// points as asked one by one, in one ClickHouse query once the endpoints' series are held; list
// bounds and the series bound; every endpoint checked against the token's scope.
import { fingerprint, MAX_NAMES_PER_REQUEST, type Store } from '@peregrine/common'
import { rollAllSamples } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { MAX_SERIES_PER_QUERY } from '../src/queries.ts'
import { apiCaller, seedTree, startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
let admin: string
const { call, tokenFor } = apiCaller(
  () => api.app,
  () => admin,
)

const now = Math.floor(Date.now() / 1000)
/** An hour of points at step 10, ending before this minute, so every rollup bucket is whole. */
const T0 = Math.floor(now / 60) * 60 - 3600
const STEPS = 360

interface Def {
  endpoint: string
  metric: string
  tags: string
  counterType: 'GAUGE' | 'COUNTER'
  step: number
}
const def = (
  endpoint: string,
  metric: string,
  tags = '',
  counterType: Def['counterType'] = 'GAUGE',
): Def => ({
  endpoint,
  metric,
  tags,
  counterType,
  step: 10,
})
const DEFS: Def[] = [
  ...['web-1', 'web-2', 'db-1'].flatMap((e) => [
    def(e, 'cpu.busy', 'core=0'),
    def(e, 'cpu.busy', 'core=1'),
    def(e, 'load.1min'),
    def(e, 'net.in', 'iface=eth0', 'COUNTER'),
  ]),
  // Only web-2 has this one.
  def('web-2', 'disk.used', 'mount=/'),
]
/** Many series without points: more than one request may answer. */
const BULK = ['bulk-1', 'bulk-2'].flatMap((e) =>
  Array.from({ length: 300 }, (_, i) => def(e, 'many', `idx=${String(i).padStart(3, '0')}`)),
)

const seriesRows = (defs: Def[]) =>
  defs
    .map(
      (d) =>
        `${fingerprint(d)}\t${d.endpoint}\t${d.metric}\t${d.tags}\t${d.counterType}\t${d.step}\t${now}\n`,
    )
    .join('')

async function seed(store: Store) {
  const columns = ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen']
  await store.insertTsv('series', columns, seriesRows([...DEFS, ...BULK]))
  let points = ''
  DEFS.forEach((d, k) => {
    const fp = fingerprint(d)
    const counter = d.counterType === 'GAUGE' ? 0 : 1
    const value = (i: number) => (counter ? 1000 + i * (k + 1) * 10 : ((i * (k + 3)) % 97) / 4)
    for (let i = 0; i < STEPS; i++) points += `${fp}\t${T0 + i * 10}\t${value(i)}\t${counter}\n`
  })
  await store.insertTsv('samples', ['fp', 'ts', 'input', 'counter'], points)
  await rollAllSamples(store)
}

beforeAll(async () => {
  api = await startTestApi({ seed })
  admin = api.admin!
  await seedTree(api.app, admin, ['corp', 'corp.web', 'corp.db'], {
    'web-1': ['corp.web'],
    'web-2': ['corp.web'],
    'db-1': ['corp.db'],
  })
})

afterAll(() => api?.dispose())

type Query = Record<string, string | number | string[]>
const url = (path: string, q: Query) => {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(q)) for (const one of [v].flat()) params.append(k, String(one))
  return `${path}?${params}`
}
const get = (path: string, q: Query, token = admin) => call(token, 'GET', url(path, q))

/** What one request per endpoint and metric answers, in endpoint then metric order. */
async function oneByOne(path: string, endpoints: string[], metrics: string[], rest: Query) {
  const out: unknown[] = []
  for (const endpoint of [...endpoints].sort())
    for (const metric of [...metrics].sort()) {
      const r = await get(path, { ...rest, endpoint, metric })
      expect(r.status).toBe(200)
      out.push(...(r.body.series as unknown[]))
    }
  return out
}

describe('several endpoints and metrics in one request', () => {
  const endpoints = ['web-2', 'db-1', 'web-1']
  const metrics = ['load.1min', 'cpu.busy', 'disk.used', 'net.in']

  it('answers the history of each, as asked one by one, at the raw step and from a rollup', async () => {
    const ranges: Query[] = [
      { from: T0, to: T0 + 1800 },
      { from: T0, to: T0 + 3599, step: 60 },
    ]
    for (const range of ranges) {
      const many = await get('/api/v1/history', { ...range, endpoint: endpoints, metric: metrics })
      expect(many.status).toBe(200)
      const series = many.body.series as { endpoint: string; timestamps: number[] }[]
      expect(series).toHaveLength(13)
      expect(series.every((s) => s.timestamps.length > 0)).toBe(true)
      expect(series).toEqual(await oneByOne('/api/v1/history', endpoints, metrics, range))
    }
  })

  it('filters every endpoint and metric by the same tags', async () => {
    const q = { from: T0, to: T0 + 600, tags: 'core=1' }
    const many = await get('/api/v1/history', { ...q, endpoint: endpoints, metric: metrics })
    const series = many.body.series as { endpoint: string; tags: string }[]
    expect(series.map((s) => `${s.endpoint} ${s.tags}`)).toEqual([
      'db-1 core=1',
      'web-1 core=1',
      'web-2 core=1',
    ])
    expect(many.body.series).toEqual(await oneByOne('/api/v1/history', endpoints, metrics, q))
  })

  it('answers the last values of each, as asked one by one', async () => {
    const many = await get('/api/v1/last', { endpoint: endpoints, metric: metrics })
    expect(many.status).toBe(200)
    expect(many.body.series).toHaveLength(13)
    expect(many.body.series).toEqual(await oneByOne('/api/v1/last', endpoints, metrics, {}))
  })

  it('names an endpoint or metric twice as once', async () => {
    const q = { from: T0, to: T0 + 600 }
    const twice = await get('/api/v1/history', {
      ...q,
      endpoint: ['web-1', 'web-1'],
      metric: ['cpu.busy', 'cpu.busy'],
    })
    expect(twice.body).toEqual(
      (await get('/api/v1/history', { ...q, endpoint: 'web-1', metric: 'cpu.busy' })).body,
    )
  })

  it('answers the first series, by endpoint, metric and tags, up to the bound', async () => {
    const res = await get('/api/v1/last', { endpoint: ['bulk-2', 'bulk-1'], metric: 'many' })
    const names = (res.body.series as { endpoint: string; tags: string }[]).map(
      (s) => `${s.endpoint} ${s.tags}`,
    )
    expect(names).toHaveLength(MAX_SERIES_PER_QUERY)
    const expected = BULK.map((d) => `${d.endpoint} ${d.tags}`).slice(0, MAX_SERIES_PER_QUERY)
    expect(names).toEqual(expected)
  })

  it('asks ClickHouse once per request once the endpoints’ series are held', async () => {
    const names = { endpoint: endpoints, metric: metrics }
    const q = { from: T0, to: T0 + 1800, ...names }
    await get('/api/v1/history', q)
    const spies = [vi.spyOn(api.store, 'query'), vi.spyOn(api.store, 'columns')]
    const queries = () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0)
    try {
      expect((await get('/api/v1/history', q)).status).toBe(200)
      expect(queries()).toBe(1)
      expect((await get('/api/v1/history', { ...q, endpoint: 'web-1', metric: 'cpu.busy' })).status).toBe(200)
      expect(queries()).toBe(2)
      expect((await get('/api/v1/last', names)).status).toBe(200)
      expect(queries()).toBe(3)
    } finally {
      for (const spy of spies) spy.mockRestore()
    }
  })
})

describe('bounds and scope', () => {
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`)

  it('refuses more endpoints or metrics than the bound, naming the parameter', async () => {
    for (const path of ['/api/v1/history', '/api/v1/last']) {
      const endpoints = await get(path, {
        endpoint: many('e', MAX_NAMES_PER_REQUEST + 1),
        metric: 'cpu.busy',
      })
      expect(endpoints.status).toBe(400)
      expect(endpoints.body).toMatchObject({
        field: 'endpoint',
        message: `querystring.endpoint: at most ${MAX_NAMES_PER_REQUEST} endpoints`,
      })
      const metrics = await get(path, { endpoint: 'web-1', metric: many('m', MAX_NAMES_PER_REQUEST + 1) })
      expect(metrics.status).toBe(400)
      expect(metrics.body).toMatchObject({
        field: 'metric',
        message: `querystring.metric: at most ${MAX_NAMES_PER_REQUEST} metrics`,
      })
      const bound = await get(path, {
        endpoint: many('e', MAX_NAMES_PER_REQUEST),
        metric: many('m', MAX_NAMES_PER_REQUEST),
      })
      expect(bound.status).toBe(200)
      expect(bound.body.series).toEqual([])
    }
  })

  it('names the bad value of a list by its place', async () => {
    const res = await get('/api/v1/last', { endpoint: ['web-1', ''], metric: 'cpu.busy' })
    expect(res.status).toBe(400)
    expect(res.body).toMatchObject({
      field: 'endpoint.1',
      message: 'querystring.endpoint.1: Too small: expected string to have >=1 characters',
    })
    const missing = await get('/api/v1/history', { metric: 'cpu.busy' })
    expect(missing.body).toMatchObject({
      field: 'endpoint',
      message: 'querystring.endpoint: Invalid input: expected string, received undefined',
    })
  })

  it('answers 403 when any endpoint named is outside the token’s scope', async () => {
    const web = await tokenFor('viewer', 'corp.web')
    for (const path of ['/api/v1/history', '/api/v1/last']) {
      const inside = await get(path, { endpoint: ['web-1', 'web-2'], metric: 'cpu.busy' }, web)
      expect(inside.status).toBe(200)
      expect(inside.body.series).toHaveLength(4)
      for (const outside of ['db-1', 'bulk-1', 'nope']) {
        const res = await get(path, { endpoint: ['web-1', outside, 'web-2'], metric: 'cpu.busy' }, web)
        expect(res.status).toBe(403)
        expect(res.body.message).toContain(outside)
      }
    }
  })
})
