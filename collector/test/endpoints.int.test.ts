import {
  BatchBuilder,
  createLogger,
  createRegistry,
  encodeBatch,
  metricsSubject,
  registriesToBatch,
  type Store,
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
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Collector, loadCollectorConfig, startCollector } from '../src/index.ts'

let nats: TestNats
let dir: TempDir
let store: Store
let nc: NatsConnection
let js: JetStreamClient
let collector: Collector

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  store = await openTestStore(dir.path)
  nc = await connect(nats.connectOptions('service'))
  js = nc.jetstream()
  const settings = loadCollectorConfig({ COLLECTOR_BATCH_WAIT_MS: '50' })
  collector = await startCollector(settings, {
    nc,
    store,
    log: createLogger('test', process.env.TEST_LOG ?? 'silent'),
    registry: createRegistry(),
  })
})

afterAll(async () => {
  await collector?.stop()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

/** The agent each endpoint's surviving row names, once merges have kept only the newest. */
async function agents(): Promise<Record<string, string>> {
  await store.command('OPTIMIZE TABLE endpoints FINAL')
  const rows = await store.query<{ endpoint: string; agent: string }>({
    query: 'SELECT endpoint, agent FROM endpoints FINAL',
    params: {},
  })
  return Object.fromEntries(rows.map((r) => [r.endpoint, r.agent]))
}

it("self-metrics published under a host's endpoint keep the agent version its agent reported", async () => {
  const now = Math.floor(Date.now() / 1000)
  await js.publish(
    metricsSubject('box'),
    encodeBatch(await registriesToBatch([createRegistry(true)], 'box', 10, now)),
  )
  await waitFor(async () => 'box' in (await agents()), 10_000, 'the endpoint row of the self-metrics')

  const agent = new BatchBuilder({ host: 'box', agent: '1.2.3' })
  agent.add({ endpoint: 'box', metric: 'cpu.idle', tags: '', counterType: 'GAUGE', step: 10 }, now, 97)
  await js.publish(metricsSubject('box'), encodeBatch(agent.take()))
  await waitFor(async () => (await agents()).box === '1.2.3', 10_000, "the agent's version")

  await js.publish(
    metricsSubject('box'),
    encodeBatch(await registriesToBatch([createRegistry(true)], 'box', 10, now)),
  )
  const pushed = new BatchBuilder({ host: 'box', agent: '1.2.3' })
  pushed.add({ endpoint: 'app-1', metric: 'app.qps', tags: '', counterType: 'GAUGE', step: 10 }, now, 5)
  await js.publish(metricsSubject('box'), encodeBatch(pushed.take()))
  await waitFor(async () => 'app-1' in (await agents()), 10_000, 'the pushed endpoint')
  expect(await agents()).toEqual({ box: '1.2.3', 'app-1': '' })
})
