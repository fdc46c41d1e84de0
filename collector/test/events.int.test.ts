// The collector persists the judges' events: every valid event once (even published twice), each
// key's last event in events_latest, and a malformed message terminated without stopping the rest.

import type { Store } from '@peregrine/common'
import { type AlertEvent, createLogger, createRegistry, eventsSubject } from '@peregrine/common'
import {
  openTestStore,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  testEvent,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Collector, loadCollectorConfig, startCollector } from '../src/index.ts'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
let nats: TestNats
let dir: TempDir
let store: Store
let nc: NatsConnection
let collector: Collector
const registry = createRegistry()

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  store = await openTestStore(dir.path)
  nc = await connect(nats.connectOptions('service'))
  collector = await startCollector(loadCollectorConfig({}), { nc, store, log, registry })
})

afterAll(async () => {
  await collector?.stop()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

const event = (over: Partial<AlertEvent>) => {
  const e = testEvent(over)
  return {
    ...e,
    strategy: { ...e.strategy, note: "it's 'quoted'\tand\ttabbed", receivers: ['ops', "o'brien"] },
  }
}

const rows = (q: string) => store.query<Record<string, unknown>>({ query: q, params: {} })

it('stores events once, keeps each key’s last, and terminates what is not an event', async () => {
  const js = nc.jetstream()
  const problem = event({})
  const ok = event({
    id: 'c3'.repeat(8),
    status: 'OK',
    value: 50,
    timestamp: 1_800_000_060,
    judgedAt: 1_800_000_060_500,
  })
  const other = event({ id: 'd4'.repeat(8), key: 'e5'.repeat(8), endpoint: 'web-2' })
  await js.publish(eventsSubject(1), JSON.stringify(problem), { msgID: problem.id })
  await js.publish(eventsSubject(1), JSON.stringify(problem), { msgID: problem.id })
  await js.publish(eventsSubject(1), '{"not":"an event"}')
  await js.publish(eventsSubject(2), JSON.stringify(ok), { msgID: ok.id })
  await js.publish(eventsSubject(2), JSON.stringify(other), { msgID: other.id })
  await waitFor(async () => (await rows('SELECT id FROM events FINAL')).length === 3, 10_000, 'three events')
  const [stored] = await rows(`SELECT * FROM events FINAL WHERE id = '${problem.id}'`)
  expect(stored).toMatchObject({
    status: 'PROBLEM',
    note: "it's 'quoted'\tand\ttabbed",
    receivers: ['ops', "o'brien"],
    value: 3.5,
    paths: ['shop.web'],
  })
  const firing = await rows("SELECT endpoint FROM events_latest FINAL WHERE status = 'PROBLEM'")
  expect(firing).toEqual([{ endpoint: 'web-2' }])
  const rejected = (await registry.getSingleMetric('peregrine_collector_events_rejected_total')?.get())
    ?.values[0]?.value
  expect(rejected).toBe(1)
})
