import { createLogger, createRegistry, type Registry, type Store } from '@peregrine/common'
import { openTestStore, startTestNats, tempDir } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { loadCollectorConfig, startCollector } from '../src/index.ts'

/** A collector on a real nats-server and embedded ClickHouse, for a test file of one record stream. */
export interface RecordsHarness {
  nc: NatsConnection
  store: Store
  registry: Registry
  rows(query: string): Promise<Record<string, unknown>[]>
  /** The value of one of the collector's unlabelled counters. */
  counter(name: string): Promise<number>
  dispose(): Promise<void>
}

export async function startRecordsHarness(): Promise<RecordsHarness> {
  const nats = await startTestNats()
  const dir = await tempDir()
  const store = await openTestStore(dir.path)
  const nc = await connect(nats.connectOptions('service'))
  const registry = createRegistry()
  const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
  const collector = await startCollector(loadCollectorConfig({}), { nc, store, log, registry })
  return {
    nc,
    store,
    registry,
    rows: (query) => store.query<Record<string, unknown>>({ query, params: {} }),
    counter: async (name) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0,
    async dispose() {
      await collector.stop()
      await nc.close()
      await store.close()
      await nats.dispose()
      await dir.remove()
    },
  }
}
