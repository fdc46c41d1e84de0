import { join } from 'node:path'
import { createLogger, createRegistry, fingerprint, migrate, Store } from '@peregrine/common'
import {
  rollAllSamples,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
} from '@peregrine/common/testing'
import type { FastifyInstance } from 'fastify'
import { connect, type NatsConnection } from 'nats'
import { Gauge } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureAdminToken } from '../src/auth.ts'
import { openConfigApi } from '../src/config/context.ts'
import { chooseResolution } from '../src/resolution.ts'
import { buildServer } from '../src/server.ts'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
const retention = { rawDays: 30, rollup1mDays: 180 }

// Six hours of data at step 10, ending before the current hour, so every hour bucket is whole.
const now = Math.floor(Date.now() / 1000)
const HOUR = 3600
const T0 = Math.floor(now / HOUR) * HOUR - 6 * HOUR
const N = (6 * HOUR) / 10
const tsAt = (i: number) => T0 + i * 10
const LAST_TS = tsAt(N - 1)

interface Def {
  endpoint: string
  metric: string
  tags: string
  counterType: 'GAUGE' | 'COUNTER' | 'DERIVE'
  step: number
  value: (i: number) => number
}

/** Gauge values are multiples of 1/4, so every sum and average is exact in Float64. */
const busy0: Def = {
  endpoint: 'host-a',
  metric: 'cpu.busy',
  tags: 'core=0,dc=east',
  counterType: 'GAUGE',
  step: 10,
  value: (i) => 20 + ((i * 7) % 61) / 4,
}
const busy1: Def = { ...busy0, tags: 'core=1,dc=east', value: (i) => 50 + (i % 13) / 2 }

/** Per-point increment of the counter: a rate of 1..4 per second. */
const increment = (i: number) => 10 * (1 + (i % 4))
/** The counter restarts (agent host rebooted) at this point. */
const RESET = 2000
const counterValues: number[] = []
for (let i = 0; i < N; i++)
  counterValues.push(i === 0 ? 1_000_000 : i === RESET ? 5 : counterValues[i - 1]! + increment(i))
const bytesIn: Def = {
  endpoint: 'host-a',
  metric: 'net.if.in.bytes',
  tags: 'dc=east,iface=eth0',
  counterType: 'COUNTER',
  step: 10,
  value: (i) => counterValues[i]!,
}
/** Its points are written twice, as a re-delivery the ReplacingMergeTree has not merged yet would. */
const busyB: Def = {
  endpoint: 'host-b',
  metric: 'cpu.busy',
  tags: '',
  counterType: 'GAUGE',
  step: 10,
  value: (i) => i % 100,
}
const webLoad: Def = {
  endpoint: 'web-1',
  metric: 'load.1min',
  tags: '',
  counterType: 'GAUGE',
  step: 60,
  value: () => 1,
}
const DEFS = [busy0, busy1, bytesIn, busyB, webLoad]
const fp = (d: Def) => fingerprint(d)

const SERIES_SEEN = now - 30
const seriesRow = (d: Def, seen: number) =>
  `${fp(d)}\t${d.endpoint}\t${d.metric}\t${d.tags}\t${d.counterType}\t${d.step}\t${seen}\n`
/** Points as tests write them: a float each, and whether its series is a counter. */
const SAMPLE_COLUMNS = ['fp', 'ts', 'input', 'counter']
const pointRows = (d: Def, from = 0, to = N) => {
  let out = ''
  const counter = d.counterType === 'GAUGE' ? 0 : 1
  for (let i = from; i < to; i++)
    if (tsAt(i) % d.step === 0) out += `${fp(d)}\t${tsAt(i)}\t${d.value(i)}\t${counter}\n`
  return out
}

/** The points of `d` with from <= ts <= to, as [ts, value]. */
const pointsIn = (d: Def, from: number, to: number) => {
  const out: [number, number][] = []
  for (let i = 0; i < N; i++) if (tsAt(i) >= from && tsAt(i) <= to) out.push([tsAt(i), d.value(i)])
  return out
}

/** Buckets of `interval` over the points of `d` in [from, to]: what the API should answer. */
function buckets(d: Def, from: number, to: number, interval: number) {
  const byT = new Map<number, number[]>()
  for (const [ts, v] of pointsIn(d, from, to)) {
    const t = Math.floor(ts / interval) * interval
    byT.set(t, [...(byT.get(t) ?? []), v])
  }
  const ts = [...byT.keys()].sort((a, b) => a - b)
  const vs = ts.map((t) => byT.get(t)!)
  return {
    timestamps: ts,
    values: vs.map((v) => v.reduce((a, b) => a + b, 0) / v.length),
    min: vs.map((v) => Math.min(...v)),
    max: vs.map((v) => Math.max(...v)),
    last: vs.map((v) => v.at(-1)!),
  }
}

/** Per-second rates between consecutive [ts, value] pairs, leaving out the ones that go down. */
function rates(points: [number, number][]) {
  const timestamps: number[] = []
  const values: number[] = []
  for (let i = 1; i < points.length; i++) {
    const [t0, v0] = points[i - 1]!
    const [t1, v1] = points[i]!
    if (v1 < v0) continue
    timestamps.push(t1)
    values.push((v1 - v0) / (t1 - t0))
  }
  return { timestamps, values }
}

let nats: TestNats
let nc: NatsConnection
let dir: TempDir
let store: Store
let app: FastifyInstance
let admin: string

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect(nats.connectOptions('service'))
  dir = await tempDir()
  store = Store.open({ url: '', path: join(dir.path, 'ch') })
  await migrate(store, { ...retention, rollup1hDays: 730 })
  const registry = createRegistry()
  new Gauge({
    name: 'peregrine_test_gauge',
    help: 'A gauge for the /metrics test',
    registers: [registry],
  }).set(7)

  // An older series row too: the newest last_seen must win.
  const columns = ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen']
  await store.insertTsv('series', columns, DEFS.map((d) => seriesRow(d, now - 7200)).join(''))
  await store.insertTsv('series', columns, DEFS.map((d) => seriesRow(d, SERIES_SEEN)).join(''))
  await store.insertTsv(
    'endpoints',
    ['endpoint', 'agent', 'last_seen'],
    [
      `host-a\told-agent\t${now - 7200}\n`,
      `host-a\tagent-1\t${now - 20}\n`,
      `host-b\tagent-1\t${now - 40}\n`,
      `web-1\tagent-2\t${now - 60}\n`,
    ].join(''),
  )
  // Merges would fold the duplicates below at any moment; the API must not rely on them.
  await store.command('SYSTEM STOP MERGES samples')
  for (const d of DEFS) await store.insertTsv('samples', SAMPLE_COLUMNS, pointRows(d))
  // A re-delivered hour of host-b, in a part of its own.
  await store.insertTsv('samples', SAMPLE_COLUMNS, pointRows(busyB, 360, 720))
  await rollAllSamples(store)

  const configApi = await openConfigApi(nc, store)
  admin = (await ensureAdminToken(configApi.config, ''))!
  app = await buildServer({
    store,
    log,
    registries: [registry],
    health: async () => ({ ok: true }),
    retention,
    configApi,
  })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

async function get(url: string, query: Record<string, string | number | string[]> = {}) {
  const res = await app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${admin}` },
    query: Object.fromEntries(
      Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v : String(v)]),
    ) as Record<string, string | string[]>,
  })
  return { status: res.statusCode, body: res.json(), headers: res.headers }
}

describe('GET /api/v1/endpoints', () => {
  it('lists endpoints by prefix with their agent and newest lastSeen', async () => {
    const res = await get('/api/v1/endpoints', { prefix: 'host-' })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body).toEqual({
      endpoints: [
        { endpoint: 'host-a', agent: 'agent-1', lastSeen: now - 20 },
        { endpoint: 'host-b', agent: 'agent-1', lastSeen: now - 40 },
      ],
    })
  })

  it('lists all endpoints without a prefix, up to limit', async () => {
    const all = await get('/api/v1/endpoints')
    expect(all.body.endpoints.map((e: { endpoint: string }) => e.endpoint)).toEqual([
      'host-a',
      'host-b',
      'web-1',
    ])
    const one = await get('/api/v1/endpoints', { limit: 1 })
    expect(one.body.endpoints.map((e: { endpoint: string }) => e.endpoint)).toEqual(['host-a'])
    expect((await get('/api/v1/endpoints', { prefix: 'nope' })).body).toEqual({ endpoints: [] })
  })
})

describe('GET /api/v1/series', () => {
  const info = (d: Def) => ({
    endpoint: d.endpoint,
    metric: d.metric,
    tags: d.tags,
    counterType: d.counterType,
    step: d.step,
    lastSeen: SERIES_SEEN,
  })

  it('finds series by endpoint prefix', async () => {
    const res = await get('/api/v1/series', { endpoint: 'host-a' })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ series: [info(busy0), info(busy1), info(bytesIn)] })
    expect((await get('/api/v1/series', { endpoint: 'host' })).body.series).toHaveLength(4)
  })

  it('finds series by metric prefix', async () => {
    const res = await get('/api/v1/series', { metric: 'cpu.' })
    expect(res.body).toEqual({ series: [info(busy0), info(busy1), info(busyB)] })
    expect((await get('/api/v1/series', { metric: 'load', endpoint: 'web' })).body).toEqual({
      series: [info(webLoad)],
    })
  })

  it('keeps series having every tag=k=v', async () => {
    const east = await get('/api/v1/series', { tag: 'dc=east' })
    expect(east.body).toEqual({ series: [info(busy0), info(busy1), info(bytesIn)] })
    const core1 = await get('/api/v1/series', { tag: ['dc=east', 'core=1'] })
    expect(core1.body).toEqual({ series: [info(busy1)] })
    const none = await get('/api/v1/series', { tag: ['dc=east', 'core=2'] })
    expect(none.body).toEqual({ series: [] })
    const limited = await get('/api/v1/series', { tag: 'dc=east', limit: 2 })
    expect(limited.body).toEqual({ series: [info(busy0), info(busy1)] })
  })
})

describe('GET /api/v1/history', () => {
  const head = (d: Def, resolution: string, interval: number) => ({
    endpoint: d.endpoint,
    metric: d.metric,
    tags: d.tags,
    counterType: d.counterType,
    step: d.step,
    resolution,
    interval,
  })

  it('returns the raw points of one hour exactly', async () => {
    const from = T0 + HOUR
    const to = T0 + 2 * HOUR
    const res = await get('/api/v1/history', {
      endpoint: 'host-a',
      metric: 'cpu.busy',
      tags: 'core=0',
      from,
      to,
    })
    expect(res.status).toBe(200)
    const points = pointsIn(busy0, from, to)
    expect(points).toHaveLength(361)
    expect(res.body).toEqual({
      from,
      to,
      series: [
        {
          ...head(busy0, 'raw', 10),
          timestamps: points.map((p) => p[0]),
          values: points.map((p) => p[1]),
        },
      ],
    })
  })

  it('selects the series whose tags include the given ones', async () => {
    const from = T0 + HOUR
    const to = T0 + 2 * HOUR
    const q = { endpoint: 'host-a', metric: 'cpu.busy', from, to }
    const both = await get('/api/v1/history', { ...q, tags: 'dc=east' })
    expect(both.body.series.map((s: { tags: string }) => s.tags)).toEqual([busy0.tags, busy1.tags])
    expect((await get('/api/v1/history', q)).body).toEqual(both.body)
    const one = await get('/api/v1/history', { ...q, tags: ' dc=east , core=1' })
    expect(one.body.series).toHaveLength(1)
    expect(one.body.series[0]).toEqual({
      ...head(busy1, 'raw', 10),
      timestamps: pointsIn(busy1, from, to).map((p) => p[0]),
      values: pointsIn(busy1, from, to).map((p) => p[1]),
    })
  })

  it('averages raw points into buckets of a step under a minute, with min and max', async () => {
    const from = T0 + HOUR
    const to = T0 + 2 * HOUR - 1
    const res = await get('/api/v1/history', {
      endpoint: 'host-a',
      metric: 'cpu.busy',
      tags: 'core=0',
      from,
      to,
      step: 30,
    })
    const b = buckets(busy0, from, to, 30)
    expect(b.timestamps).toHaveLength(120)
    expect(res.body.series).toEqual([
      { ...head(busy0, 'raw', 30), timestamps: b.timestamps, values: b.values, min: b.min, max: b.max },
    ])
  })

  it('answers step=60 from the 1-minute rollup: bucket averages, min and max', async () => {
    const from = T0 + HOUR
    const to = T0 + 2 * HOUR
    const res = await get('/api/v1/history', {
      endpoint: 'host-a',
      metric: 'cpu.busy',
      tags: 'core=0',
      from,
      to,
      step: 60,
    })
    // Rollup rows are stamped with their bucket start; the bucket starting at `to` is included.
    const b = buckets(busy0, from, to + 59, 60)
    expect(b.timestamps).toHaveLength(61)
    expect(b.min.some((m, i) => m !== b.max[i])).toBe(true)
    expect(res.body.series).toEqual([
      { ...head(busy0, '1m', 60), timestamps: b.timestamps, values: b.values, min: b.min, max: b.max },
    ])
  })

  it('answers a 2-day range from a rollup with the averages of the inserted points', async () => {
    const to = now
    const from = now - 2 * 86_400
    const choice = chooseResolution({ from, to }, 10, retention, now)
    expect(choice.resolution).not.toBe('raw')
    const res = await get('/api/v1/history', {
      endpoint: 'host-a',
      metric: 'cpu.busy',
      tags: 'core=0',
      from,
      to,
    })
    expect(res.status).toBe(200)
    const b = buckets(busy0, from, to, choice.interval)
    expect(b.timestamps.length).toBeGreaterThan(5)
    expect(res.body.series).toEqual([
      {
        ...head(busy0, choice.resolution, choice.interval),
        timestamps: b.timestamps,
        values: b.values,
        min: b.min,
        max: b.max,
      },
    ])
  })

  it('returns COUNTER series as per-second rates, skipping the reset', async () => {
    const resetTs = tsAt(RESET)
    const from = resetTs - 60
    const to = resetTs + 60
    const res = await get('/api/v1/history', { endpoint: 'host-a', metric: 'net.if.in.bytes', from, to })
    const expected = rates(pointsIn(bytesIn, from - 10, to))
    expect(expected.timestamps).toHaveLength(12)
    expect(expected.timestamps).not.toContain(resetTs)
    expect(expected.values.slice(0, 4)).toEqual([1, 2, 3, 4].map((k) => 1 + ((k + RESET - 7) % 4)))
    expect(res.body.series).toEqual([{ ...head(bytesIn, 'raw', 10), ...expected }])
    expect(res.body.series[0].timestamps[0]).toBe(from)
  })

  it('returns COUNTER rates between the last points of raw buckets when a step is given', async () => {
    const from = T0 + HOUR
    // `to` cuts the last bucket short: it holds one point only.
    const to = T0 + HOUR + 600
    const res = await get('/api/v1/history', {
      endpoint: 'host-a',
      metric: 'net.if.in.bytes',
      from,
      to,
      step: 30,
    })
    // The newest point of each 30 s bucket, reading one bucket before `from`.
    const lasts = new Map<number, [number, number]>()
    for (const [ts, v] of pointsIn(bytesIn, from - 30, to)) lasts.set(Math.floor(ts / 30) * 30, [ts, v])
    const bucketTs = [...lasts.keys()]
    const perSecond = rates([...lasts.values()])
    const expected = { timestamps: bucketTs.slice(1), values: perSecond.values }
    expect(expected.timestamps[0]).toBe(from)
    expect(expected.timestamps.at(-1)).toBe(to)
    expect(expected.values.slice(0, -1).every((v) => v >= 2 && v <= 3)).toBe(true)
    // The short bucket's rate is over its one 10 s step, not over 30 s.
    expect(expected.values.at(-1)).toBe(increment((to - T0) / 10) / 10)
    expect(res.body.series).toEqual([{ ...head(bytesIn, 'raw', 30), ...expected }])
  })

  it('returns COUNTER rates of the rollup buckets over a long range', async () => {
    const to = now
    const from = now - 2 * 86_400
    const choice = chooseResolution({ from, to }, 10, retention, now)
    const res = await get('/api/v1/history', { endpoint: 'host-a', metric: 'net.if.in.bytes', from, to })
    const b = buckets(bytesIn, from, to, choice.interval)
    const expected = rates(b.timestamps.map((t, i) => [t, b.last[i]!]))
    // One bucket holds the reset: its rate is left out.
    expect(expected.timestamps).toHaveLength(b.timestamps.length - 2)
    expect(res.body.series).toEqual([{ ...head(bytesIn, choice.resolution, choice.interval), ...expected }])
  })

  it('does not return points twice that were stored twice', async () => {
    const raw = await store.query<{ n: string }>({
      query: `SELECT count() AS n FROM samples WHERE fp = ${fp(busyB)} AND ts BETWEEN ${tsAt(360)} AND ${tsAt(719)}`,
      params: {},
    })
    expect(Number(raw[0]?.n)).toBe(720)
    const from = T0 + HOUR - 300
    const to = T0 + HOUR + 300
    const res = await get('/api/v1/history', { endpoint: 'host-b', metric: 'cpu.busy', from, to })
    const points = pointsIn(busyB, from, to)
    expect(res.body.series).toEqual([
      { ...head(busyB, 'raw', 10), timestamps: points.map((p) => p[0]), values: points.map((p) => p[1]) },
    ])
  })

  it('answers an unknown series with no series', async () => {
    const res = await get('/api/v1/history', { endpoint: 'host-zz', metric: 'cpu.busy' })
    expect(res.status).toBe(200)
    expect(res.body.series).toEqual([])
    expect(res.body.to - res.body.from).toBe(3600)
  })
})

describe('GET /api/v1/last', () => {
  it('returns the newest value of a GAUGE and the newest rate of a COUNTER', async () => {
    const gauge = await get('/api/v1/last', { endpoint: 'host-a', metric: 'cpu.busy', tags: 'core=0' })
    expect(gauge.status).toBe(200)
    expect(gauge.body).toEqual({
      series: [
        {
          endpoint: 'host-a',
          metric: 'cpu.busy',
          tags: busy0.tags,
          counterType: 'GAUGE',
          step: 10,
          timestamp: LAST_TS,
          value: busy0.value(N - 1),
        },
      ],
    })
    const counter = await get('/api/v1/last', { endpoint: 'host-a', metric: 'net.if.in.bytes' })
    expect(counter.body.series).toEqual([
      {
        endpoint: 'host-a',
        metric: 'net.if.in.bytes',
        tags: bytesIn.tags,
        counterType: 'COUNTER',
        step: 10,
        timestamp: LAST_TS,
        value: increment(N - 1) / 10,
      },
    ])
  })

  it('returns every matching series, and none for an unknown one', async () => {
    const both = await get('/api/v1/last', { endpoint: 'host-a', metric: 'cpu.busy' })
    expect(both.body.series.map((s: { tags: string; value: number }) => [s.tags, s.value])).toEqual([
      [busy0.tags, busy0.value(N - 1)],
      [busy1.tags, busy1.value(N - 1)],
    ])
    const dup = await get('/api/v1/last', { endpoint: 'host-b', metric: 'cpu.busy' })
    expect(dup.body.series[0]).toMatchObject({ timestamp: LAST_TS, value: busyB.value(N - 1) })
    expect((await get('/api/v1/last', { endpoint: 'host-a', metric: 'nope' })).body).toEqual({ series: [] })
  })
})

describe('bad input', () => {
  const expect400 = async (url: string, query: Record<string, string | number | string[]>, field: string) => {
    const res = await get(url, query)
    expect(res.status, JSON.stringify(res.body)).toBe(400)
    expect(res.body).toMatchObject({ error: 'Bad Request', field })
    expect(res.body.message).toContain(field)
    return res.body
  }

  it('names the missing or malformed field', async () => {
    await expect400('/api/v1/history', { metric: 'cpu.busy' }, 'endpoint')
    await expect400('/api/v1/history', { endpoint: 'host-a' }, 'metric')
    await expect400('/api/v1/history', { endpoint: 'host-a', metric: 'cpu.busy', from: 'abc' }, 'from')
    await expect400('/api/v1/history', { endpoint: 'host-a', metric: 'cpu.busy', to: '-5' }, 'to')
    await expect400('/api/v1/history', { endpoint: 'host-a', metric: 'cpu.busy', step: 0 }, 'step')
    await expect400('/api/v1/history', { endpoint: 'host-a', metric: 'cpu.busy', tags: 'nonsense' }, 'tags')
    await expect400('/api/v1/last', { endpoint: 'host-a', metric: 'cpu.busy', tags: 'a=1,=2' }, 'tags')
    await expect400('/api/v1/endpoints', { limit: 0 }, 'limit')
    await expect400('/api/v1/endpoints', { limit: 10_001 }, 'limit')
    await expect400('/api/v1/series', { tag: 'nonsense' }, 'tag')
  })

  it('rejects a range whose from is not before to', async () => {
    const q = { endpoint: 'host-a', metric: 'cpu.busy' }
    await expect400('/api/v1/history', { ...q, from: 2000, to: 1000 }, 'from')
    await expect400('/api/v1/history', { ...q, from: 1000, to: 1000 }, 'from')
    // Against the default `to` (now) as well.
    await expect400('/api/v1/history', { ...q, from: now + 3600 }, 'from')
  })

  it('accepts a `to` less than an hour after the epoch', async () => {
    const res = await get('/api/v1/history', { endpoint: 'host-a', metric: 'cpu.busy', to: 100 })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.from).toBe(0)
    expect(res.body.series.map((s: { values: number[] }) => s.values)).toEqual([[], []])
  })
})

describe('service routes', () => {
  it('publishes the OpenAPI document with the four monitor routes', async () => {
    const res = await get('/api/v1/openapi.json')
    expect(res.status).toBe(200)
    expect(res.body.openapi).toMatch(/^3\./)
    const monitor = ['/api/v1/endpoints', '/api/v1/history', '/api/v1/last', '/api/v1/series']
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(monitor))
    const params = res.body.paths['/api/v1/history'].get.parameters as { name: string; required?: boolean }[]
    expect(
      params
        .filter((p) => p.required)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['endpoint', 'metric'])
    expect(params.map((p) => p.name)).toEqual(expect.arrayContaining(['tags', 'from', 'to', 'step']))
    for (const path of monitor)
      expect(Object.keys(res.body.paths[path].get.responses)).toEqual(
        // Naming an endpoint outside the token's scope is 403; lists leave it out.
        path.endsWith('/history') || path.endsWith('/last')
          ? ['200', '400', '401', '403']
          : ['200', '400', '401'],
      )
    expect(res.body.paths['/api/v1/openapi.json']).toBeUndefined()
  })

  it('answers /healthz and /metrics', async () => {
    const health = await get('/healthz')
    expect(health.status).toBe(200)
    expect(health.body).toEqual({ status: 'ok' })
    const metrics = await app.inject({ method: 'GET', url: '/metrics' })
    expect(metrics.statusCode).toBe(200)
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/)
    expect(metrics.body).toContain('peregrine_test_gauge 7')
  })
})
