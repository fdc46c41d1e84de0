import {
  BatchBuilder,
  COLLECTOR_CONSUMER,
  createLogger,
  createRegistry,
  encodeBatch,
  fingerprint,
  METRICS_STREAM,
  metricsSubject,
} from '@peregrine/common'
import {
  openTestStore,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type JetStreamClient, type NatsConnection } from 'nats'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Collector, loadCollectorConfig, startCollector } from '../src/index.ts'
import { FaultyStore } from './faulty-store.ts'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
/** Short deadlines, so that a message left without working() would be redelivered within the test. */
const settings = loadCollectorConfig({
  COLLECTOR_BATCH_POINTS: '200',
  COLLECTOR_BATCH_WAIT_MS: '100',
  COLLECTOR_ACK_WAIT_MS: '1500',
  COLLECTOR_STOP_TIMEOUT_MS: '1000',
  COLLECTOR_UNHEALTHY_AFTER_MS: '1000',
})
const PAST = Math.floor(Date.now() / 1000 / 3600) * 3600 - 48 * 3600

let nats: TestNats
let dir: TempDir
let store: FaultyStore
let nc: NatsConnection
let js: JetStreamClient
let registry: ReturnType<typeof createRegistry>
let collector: Collector | undefined

const count = async (q: string) => Number((await store.query<{ n: string }>({ query: q, params: {} }))[0]?.n)
const metric = async (name: string, field?: string) =>
  (await registry.getSingleMetric(name)?.get())?.values
    .filter((v) => field === undefined || v.labels.field === field)
    .reduce((a, v) => a + v.value, 0) ?? 0
const start = async () => {
  registry = createRegistry()
  collector = await startCollector(settings, { nc, store, log, registry })
}

/** One message: `points` points of `host`, one series each, at PAST + offset. */
function message(host: string, points: number, offset = 0): Uint8Array {
  const b = new BatchBuilder({ host, agent: 'test' })
  for (let i = 0; i < points; i++)
    b.add({ endpoint: host, metric: `m.${i}`, tags: '', counterType: 'GAUGE', step: 10 }, PAST + offset, i)
  return encodeBatch(b.take())
}

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  store = new FaultyStore(await openTestStore(dir.path))
  nc = await connect(nats.connectOptions('service'))
  js = nc.jetstream()
})

beforeEach(async () => {
  store.down = false
  store.poisonFp = null
  for (const t of ['samples', 'rollups_1m', 'rollups_1h', 'rollup_dirty', 'series', 'endpoints'])
    await store.command(`TRUNCATE ${t}`)
  await start()
})

afterEach(async () => {
  store.down = false
  await collector?.stop()
  collector = undefined
})

afterAll(async () => {
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('a storage outage', () => {
  it('holds what it has without redelivery, turns unhealthy, and stores every point once after', async () => {
    store.down = true
    for (let i = 0; i < 30; i++) {
      await js.publish(metricsSubject('outage'), message('outage', 20, i * 10))
      await new Promise((r) => setTimeout(r, 100))
    }
    // Three ack deadlines pass while storage is down.
    await new Promise((r) => setTimeout(r, 4500))
    expect(collector!.health().ok).toBe(false)
    // Held: the batch being retried, the next one filled to its 200 points (ten messages), and
    // what the pull under way brought meanwhile; the rest waits in the stream.
    const held = await metric('peregrine_collector_messages_total')
    expect(held).toBeGreaterThanOrEqual(11)
    expect(held).toBeLessThan(30)
    const info = await (await nc.jetstreamManager()).consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)
    expect(info.num_redelivered).toBe(0)

    store.down = false
    await waitFor(
      async () => (await count('SELECT count() AS n FROM samples')) === 600,
      20_000,
      'every point',
    )
    expect(await count('SELECT count() AS n FROM samples FINAL')).toBe(600)
    expect(await metric('peregrine_collector_messages_total')).toBe(30)
    await waitFor(() => collector!.health().ok, 5000, 'healthy again')
  })

  it('stops within its timeout while storage is down, and a restarted collector stores everything', async () => {
    store.down = true
    for (let i = 0; i < 5; i++) await js.publish(metricsSubject('stop'), message('stop', 50, i * 10))
    await waitFor(async () => (await metric('peregrine_collector_messages_total')) === 5, 10_000, 'consumed')
    const t0 = Date.now()
    await collector!.stop()
    expect(Date.now() - t0).toBeLessThan(3000)
    store.down = false
    await start()
    await waitFor(
      async () => (await count('SELECT count() AS n FROM samples')) === 250,
      20_000,
      'every point',
    )
  })
})

describe('data ClickHouse refuses', () => {
  it('terminates only the message at fault, counts it, and the line goes on', async () => {
    store.poisonFp = fingerprint({ endpoint: 'poisoned', metric: 'm.0', tags: '' })
    const before = await metric('peregrine_collector_messages_rejected_total')
    await js.publish(metricsSubject('a'), message('good-a', 10))
    await js.publish(metricsSubject('p'), message('poisoned', 10))
    await js.publish(metricsSubject('b'), message('good-b', 10))
    // Only this test's hosts: a message an earlier test left to JetStream may be redelivered
    // now, on a loaded machine.
    const pointsOf = (hosts: string[]) =>
      count(
        `SELECT count() AS n FROM samples FINAL WHERE fp IN (SELECT fp FROM series WHERE endpoint IN (${hosts.map((h) => `'${h}'`).join(', ')}))`,
      )
    await waitFor(async () => (await pointsOf(['good-a', 'good-b'])) === 20, 30_000, 'the good points')
    await waitFor(
      async () => (await metric('peregrine_collector_messages_rejected_total')) === before + 1,
      30_000,
      'the refused message counted',
    )
    expect(await metric('peregrine_collector_points_rejected_total', 'storage')).toBe(10)
    await js.publish(metricsSubject('c'), message('good-c', 10))
    await waitFor(async () => (await pointsOf(['good-a', 'good-b', 'good-c'])) === 30, 30_000, 'later points')
    expect(collector!.health().ok).toBe(true)
  }, 120_000)
})
