import { join } from 'node:path'
import { startAgent } from '@peregrine/agent'
import { type AlarmConfig, startAlarm } from '@peregrine/alarm'
import { type CollectorConfig, startCollector } from '@peregrine/collector'
import {
  agentInboxPrefix,
  allInOneNatsDir,
  type ClickHouseConfig,
  connectNats,
  createLogger,
  createRegistry,
  type Logger,
  migrate,
  type NatsClientConfig,
  type NatsClientOptions,
  nkeyClientConfig,
  type Registry,
  registerReadMetrics,
  Store,
  serviceHealth,
  sizeJetStream,
  startAuthorizedNatsServer,
  startOpsServer,
  startSelfReport,
} from '@peregrine/common'
import { type Stoppable, stopOnSignals } from '@peregrine/common/lifecycle'
import { type DashboardConfig, startDashboard } from '@peregrine/dashboard'
import { type JudgeConfig, startJudge } from '@peregrine/judge'
import type { NatsConnection } from 'nats'
import type { AllInOneConfig } from './config.ts'

async function openStore(c: ClickHouseConfig & { dataDir: string }): Promise<Store> {
  const store = Store.open({ url: c.clickhouseUrl, path: join(c.dataDir, 'clickhouse') })
  await migrate(store, {
    rawDays: c.retentionDays,
    rollup1mDays: c.retention1mDays,
    rollup1hDays: c.retention1hDays,
  })
  return store
}

/** Process start-up shared by every mode: logger, signal handling, NATS connection. */
async function boot(
  name: string,
  c: NatsClientConfig & { logLevel: string },
  before: Stoppable[] = [],
  nats: Omit<NatsClientOptions, 'name'> = {},
) {
  const log = createLogger(name, c.logLevel)
  const parts: Stoppable[] = [...before]
  stopOnSignals(log, parts)
  const nc = await connectNats(c, `peregrine-${name}`, log, nats)
  parts.push({ stop: () => nc.drain() })
  return { log, parts, nc }
}

/**
 * Everything in one process: a nats-server child, collector and dashboard on the embedded
 * ClickHouse, a judge, an alarm and an agent for this host.
 * The agent has its own connection with the agent credential, so it runs with the permissions
 * of any other agent.
 */
export async function runAllInOne(c: AllInOneConfig): Promise<void> {
  const dataDir = allInOneNatsDir(c.collector.dataDir)
  const space = await sizeJetStream(dataDir, c.collector.streamMaxBytes)
  const nats = await startAuthorizedNatsServer({
    dataDir,
    port: c.natsPort,
    agentHost: c.agent.hostname,
    maxFileStore: space.maxFileStore,
  })
  const { service, agent } = nats.credentials
  const { log, parts, nc } = await boot(
    'peregrine',
    { ...c.collector, ...nkeyClientConfig(nats.url, service.seedFile) },
    [nats],
  )
  log.info({ url: nats.url, agentCredential: agent.seedFile, ...space }, 'nats-server started')
  const store = await openStore(c.collector)
  parts.push({ stop: () => store.close() })
  const registries = {
    process: createRegistry(true),
    collector: createRegistry(),
    judge: createRegistry(),
    alarm: createRegistry(),
    agent: createRegistry(),
  }
  const child = (service: string): Logger => log.child({ service })
  const collector = await startCollector(
    { ...c.collector, streamMaxBytes: space.streamMaxBytes },
    { nc, store, log: child('collector'), registry: registries.collector },
  )
  parts.push(collector)
  parts.push(await startJudge(c.judge, { nc, log: child('judge'), registry: registries.judge }))
  parts.push(await startAlarm(c.alarm, { nc, log: child('alarm'), registry: registries.alarm }))
  parts.push(
    await startDashboard(c.dashboard, {
      nc,
      store,
      log: child('dashboard'),
      registries: Object.values(registries),
      health: serviceHealth({ nc, store, collector }),
    }),
  )
  const agentNc = await connectNats(
    nkeyClientConfig(nats.url, agent.seedFile),
    'peregrine-agent',
    child('agent'),
    {
      inboxPrefix: agentInboxPrefix(c.agent.hostname),
    },
  )
  parts.push({ stop: () => agentNc.drain() })
  const agentPart = await startAgent(c.agent, { nc: agentNc, log: child('agent') })
  registerReadMetrics(registries.agent, agentPart.metrics)
  parts.push(agentPart)
  parts.push(
    // Under the agent's name for this host, so the two are one endpoint whatever the OS calls it.
    startSelfReport(nc, [registries.process, registries.collector, registries.judge, registries.alarm], {
      step: c.collector.selfStep,
      log,
      endpoint: c.agent.hostname,
    }),
  )
}

/** Distributed mode: one service per process, talking to NATS and ClickHouse by URL. */
export async function runCollector(c: CollectorConfig): Promise<void> {
  const { log, parts, nc } = await boot('collector', c)
  const store = await openStore(c)
  parts.push({ stop: () => store.close() })
  const registries = [createRegistry(true), createRegistry()]
  const collector = await startCollector(c, { nc, store, log, registry: registries[1]! })
  parts.push(collector)
  if (c.opsPort) {
    const health = serviceHealth({ nc, store, collector })
    const ops = await startOpsServer({ host: c.opsHost, port: c.opsPort }, registries, health)
    parts.push({ stop: () => ops.close() })
  }
  parts.push(startSelfReport(nc, registries, { step: c.selfStep, log }))
}

export const runJudge = (c: JudgeConfig) => runOnNats('judge', c, (deps) => startJudge(c, deps))
export const runAlarm = (c: AlarmConfig) => runOnNats('alarm', c, (deps) => startAlarm(c, deps))

/** A service that needs NATS alone (no ClickHouse): boot, /healthz and /metrics, self-report. */
async function runOnNats(
  name: string,
  c: NatsClientConfig & { logLevel: string; opsHost: string; opsPort: number; selfStep: number },
  start: (deps: { nc: NatsConnection; log: Logger; registry: Registry }) => Promise<Stoppable>,
): Promise<void> {
  const { log, parts, nc } = await boot(name, c)
  const registries = [createRegistry(true), createRegistry()]
  parts.push(await start({ nc, log, registry: registries[1]! }))
  if (c.opsPort) {
    const ops = await startOpsServer({ host: c.opsHost, port: c.opsPort }, registries, serviceHealth({ nc }))
    parts.push({ stop: () => ops.close() })
  }
  parts.push(startSelfReport(nc, registries, { step: c.selfStep, log }))
}

export async function runDashboard(c: DashboardConfig): Promise<void> {
  const { log, parts, nc } = await boot('dashboard', c)
  const store = await openStore(c)
  parts.push({ stop: () => store.close() })
  const registries = [createRegistry(true)]
  parts.push(await startDashboard(c, { nc, store, log, registries, health: serviceHealth({ nc, store }) }))
  parts.push(startSelfReport(nc, registries, { step: c.selfStep, log }))
}
