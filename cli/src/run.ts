import { join } from 'node:path'
import { type AgentConfig, startAgent } from '@peregrine/agent'
import { type CollectorConfig, startCollector } from '@peregrine/collector'
import {
  type ClickHouseConfig,
  connectNats,
  createLogger,
  createRegistry,
  type Logger,
  migrate,
  Store,
  startNatsServer,
  startOpsServer,
  startSelfReport,
} from '@peregrine/common'
import { type DashboardConfig, startDashboard } from '@peregrine/dashboard'
import type { NatsConnection } from 'nats'
import type { AllInOneConfig } from './config.ts'
import { type Stoppable, stopOnSignals } from './lifecycle.ts'

async function openStore(c: ClickHouseConfig & { dataDir: string }): Promise<Store> {
  const store = Store.open({ url: c.clickhouseUrl, path: join(c.dataDir, 'clickhouse') })
  await migrate(store, {
    rawDays: c.retentionDays,
    rollup1mDays: c.retention1mDays,
    rollup1hDays: c.retention1hDays,
  })
  return store
}

/** Healthy when NATS is connected and, where the process uses it, ClickHouse answers. */
const health = (nc: NatsConnection, store?: Store) => async () => {
  const clickhouse = store ? (await store.client.ping()).success : true
  const nats = !nc.isClosed()
  return {
    ok: nats && clickhouse,
    detail: {
      nats: nats ? 'connected' : 'closed',
      clickhouse: clickhouse ? 'ok' : 'failing',
      clickhouseMode: store?.kind,
    },
  }
}

/** Process start-up shared by every mode: logger, signal handling, NATS connection. */
async function boot(name: string, c: { logLevel: string; natsUrl: string }, before: Stoppable[] = []) {
  const log = createLogger(name, c.logLevel)
  const parts: Stoppable[] = [...before]
  stopOnSignals(log, parts)
  const nc = await connectNats(c.natsUrl, `peregrine-${name}`, log)
  parts.push({ stop: () => nc.drain() })
  return { log, parts, nc }
}

/**
 * Everything in one process: a nats-server child, collector and dashboard on the embedded
 * ClickHouse, and an agent for this host. The judge and alarm join here as they are built.
 */
export async function runAllInOne(c: AllInOneConfig): Promise<void> {
  const nats = await startNatsServer({ dataDir: join(c.collector.dataDir, 'nats'), port: c.natsPort })
  const { log, parts, nc } = await boot('peregrine', { ...c.collector, natsUrl: nats.url }, [nats])
  log.info({ url: nats.url }, 'nats-server started')
  const store = await openStore(c.collector)
  parts.push({ stop: () => store.close() })
  const registries = { process: createRegistry(true), collector: createRegistry(), agent: createRegistry() }
  const child = (service: string): Logger => log.child({ service })
  parts.push(
    await startCollector(c.collector, { nc, store, log: child('collector'), registry: registries.collector }),
  )
  parts.push(
    await startDashboard(c.dashboard, {
      nc,
      store,
      log: child('dashboard'),
      registries: Object.values(registries),
      health: health(nc, store),
    }),
  )
  parts.push(await startAgent(c.agent, { nc, log: child('agent'), registry: registries.agent }))
  parts.push(
    startSelfReport(nc, [registries.process, registries.collector], { step: c.collector.selfStep, log }),
  )
}

/** Distributed mode: one service per process, talking to NATS and ClickHouse by URL. */
export async function runCollector(c: CollectorConfig): Promise<void> {
  const { log, parts, nc } = await boot('collector', c)
  const store = await openStore(c)
  parts.push({ stop: () => store.close() })
  const registries = [createRegistry(true), createRegistry()]
  parts.push(await startCollector(c, { nc, store, log, registry: registries[1]! }))
  if (c.opsPort) {
    const ops = await startOpsServer({ host: c.opsHost, port: c.opsPort }, registries, health(nc, store))
    parts.push({ stop: () => ops.close() })
  }
  parts.push(startSelfReport(nc, registries, { step: c.selfStep, log }))
}

export async function runDashboard(c: DashboardConfig): Promise<void> {
  const { log, parts, nc } = await boot('dashboard', c)
  const store = await openStore(c)
  parts.push({ stop: () => store.close() })
  const registries = [createRegistry(true)]
  parts.push(await startDashboard(c, { nc, store, log, registries, health: health(nc, store) }))
  parts.push(startSelfReport(nc, registries, { step: c.selfStep, log }))
}

/** The agent reports its own state in its batches (agent.*), so it needs no self-report. */
export async function runAgent(c: AgentConfig): Promise<void> {
  const { log, parts, nc } = await boot('agent', c)
  parts.push(await startAgent(c, { nc, log, registry: createRegistry(true) }))
}
