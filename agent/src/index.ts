import type { Server } from 'node:http'
import { join } from 'node:path'
import { METRICS_CONTENT_TYPE, metricsText, type ReadMetric } from '@peregrine/common/exposition'
import type { Logger } from '@peregrine/common/log'
import { type LateNats, metricsSubject } from '@peregrine/common/nats'
import { BatchBuilder, tagsFromRecord } from '@peregrine/common/schema'
import type { NatsConnection } from 'nats'
import { watchAgentChecks } from './checks.ts'
import type { AgentConfig } from './config.ts'
import { SeriesDefinitions } from './definitions.ts'
import { closeHttp, type Reply, startHttp } from './http.ts'
import { type AgentCounts, agentMetrics } from './metrics.ts'
import { NotStoredError, Publisher } from './publisher.ts'
import { checkPush } from './push.ts'
import { PushQueue } from './push-queue.ts'
import { hostSources } from './sources/index.ts'
import { PortSource } from './sources/ports.ts'
import { ProcessCountSource } from './sources/processes.ts'
import type { Emit, MetricSource } from './sources/source.ts'
import { Spool } from './spool.ts'

export { type AgentConfig, agentSettings, loadAgentConfig } from './config.ts'

export const AGENT_VERSION = '0.1.0'

export type AgentDeps = {
  log: Logger
  /**
   * Host metric sources; defaults to /proc and /sys. The checks that strategies ask for
   * (net.port.listen, proc.num) are not among them: they always run, besides these.
   */
  sources?: MetricSource[]
} & (
  | { nc: NatsConnection }
  /**
   * A connection still being made (connectNatsLater): the agent starts without NATS, collects and
   * takes pushes into its spool, and once NATS is reached resends the spool and follows its checks.
   */
  | { nats: LateNats }
)

export interface Agent {
  /** The port /v1/push listens on (useful when configured as 0). */
  port: number
  /** What `/metrics` shows; a process with a prom-client registry adds them to it (registerReadMetrics). */
  metrics: readonly ReadMetric[]
  stop(): Promise<void>
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
  const { log } = deps
  const source = { host: config.hostname, agent: AGENT_VERSION }
  const spool = await Spool.open(config.spoolDir || join(config.dataDir, 'agent-spool'), config.spoolMaxBytes)
  const publisher = new Publisher(metricsSubject(config.hostname), spool, log)
  let connection: NatsConnection | Promise<NatsConnection>
  if ('nc' in deps) {
    connection = deps.nc
    publisher.attach(deps.nc)
  } else {
    connection = deps.nats.connection
    void connection.then((nc) => {
      log.info({ spooledBatches: spool.size }, 'NATS reached')
      publisher.attach(nc)
    })
  }
  const natsProblem = () => ('nats' in deps ? deps.nats.problem : undefined)
  const paths = { proc: config.procPath, sys: config.sysPath }
  // The checks strategies ask of this host follow its document in the agents bucket; the two
  // sources read the newest checks at every cycle, so a change shows up at the next step.
  const checks = watchAgentChecks(connection, config.hostname, log)
  const sources = [
    ...(deps.sources ?? hostSources(paths)),
    new PortSource(paths, checks.current),
    new ProcessCountSource(paths, checks.current),
  ]
  const counts: AgentCounts = { cycles: 0, points: 0, pushAccepted: 0, pushRejected: 0 }
  const metrics = agentMetrics(spool, publisher, counts)
  /** Points of collection cycles that could be stored nowhere (nobody was told they were). */
  let cycleLost = 0

  const collectCycle = async () => {
    const ts = Math.floor(Date.now() / 1000)
    const b = new BatchBuilder(source)
    const emit: Emit = (metric, value, counterType, tags = {}) =>
      b.add(
        { endpoint: config.hostname, metric, tags: tagsFromRecord(tags), counterType, step: config.step },
        ts,
        value,
      )
    for (const s of sources) {
      await s
        .collect(emit)
        .catch((err: Error) => log.warn({ source: s.name, err: err.message }, 'source failed'))
    }
    emitSelfMetrics(emit, spool, publisher, cycleLost)
    const points = b.size
    counts.cycles++
    counts.points += points
    await publisher.store(b.take()).catch((err: NotStoredError) => {
      cycleLost += points
      log.error({ err: err.message, points }, 'cycle not stored; dropped')
    })
  }

  const pushes = new PushQueue(source, (b) => publisher.store(b, true))
  const definitions = new SeriesDefinitions()
  const push = async (body: unknown): Promise<Reply> => {
    const now = Math.floor(Date.now() / 1000)
    const { accepted, errors } = checkPush(body, now, definitions, now - config.maxPointAgeDays * 86_400)
    counts.pushRejected += errors.length
    if (accepted.length === 0)
      return { status: errors.length > 0 ? 400 : 200, body: { accepted: 0, rejected: errors.length, errors } }
    if (pushes.size + accepted.length > config.maxPendingPush)
      return { status: 503, body: { error: 'agent busy: too many pushed points waiting to be stored' } }
    try {
      await pushes.add(accepted)
    } catch (err) {
      if (!(err instanceof NotStoredError)) throw err
      return { status: 503, body: { error: `points not stored: ${err.message}` } }
    }
    counts.pushAccepted += accepted.length
    return { status: 200, body: { accepted: accepted.length, rejected: errors.length, errors } }
  }

  let server: Server
  try {
    server = await startHttp(config.httpHost, config.httpPort, {
      push,
      health: async () => health(spool, publisher, natsProblem()),
      metrics: async () => ({ status: 200, body: metricsText(metrics), contentType: METRICS_CONTENT_TYPE }),
    })
  } catch (err) {
    await checks.stop()
    publisher.close()
    throw err
  }
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : config.httpPort

  const cycles = every(config.step * 1000, collectCycle, log)
  log.info({ host: config.hostname, step: config.step, port }, 'agent started')

  return {
    port,
    metrics,
    async stop() {
      await closeHttp(server)
      await cycles.stop()
      await checks.stop()
      await pushes.settle()
      await publisher.settle()
      publisher.close()
    },
  }
}

/**
 * Healthy while points can be made durable; NATS being unreachable is fine as long as the spool
 * takes them, and is answered 200 "degraded" with the reason. An unhealthy reason says what to
 * fix (a full disk, the spool's permissions, a refusal).
 */
function health(spool: Spool, publisher: Publisher, natsProblem: string | undefined): Reply {
  const problem = publisher.problem
  const degraded = publisher.connected
    ? undefined
    : natsProblem
      ? `NATS not reached since the agent started (${natsProblem}); points wait in the spool`
      : 'NATS unreachable; points wait in the spool and are resent once it answers'
  return {
    status: problem ? 503 : 200,
    body: {
      status: problem ? 'unhealthy' : degraded ? 'degraded' : 'ok',
      ...(problem || degraded ? { reason: problem?.message ?? degraded } : {}),
      nats: publisher.connected ? 'connected' : 'unreachable',
      spooledBatches: spool.size,
      spoolBytes: spool.bytes,
    },
  }
}

/** The agent's own state, in every cycle's batch: what /healthz says, for the central view. */
function emitSelfMetrics(emit: Emit, spool: Spool, publisher: Publisher, cycleLost: number): void {
  emit('agent.alive', 1, 'GAUGE')
  const problem = publisher.problem
  emit('agent.durable', problem ? 0 : 1, 'GAUGE', problem ? { reason: problem.code } : {})
  // The process's footprint, so the fleet's agents can be watched like any other workload.
  emit('agent.process.rss.bytes', process.memoryUsage.rss(), 'GAUGE')
  const cpu = process.cpuUsage()
  emit('agent.process.cpu.seconds', (cpu.user + cpu.system) / 1e6, 'COUNTER')
  emit('agent.spool.bytes', spool.bytes, 'GAUGE')
  emit('agent.spool.dropped.points', spool.droppedPoints, 'COUNTER')
  emit('agent.dropped.points', publisher.dropped.refused, 'COUNTER', { reason: 'refused' })
  emit('agent.dropped.points', publisher.dropped.unreadable, 'COUNTER', { reason: 'unreadable' })
  emit('agent.dropped.points', cycleLost, 'COUNTER', { reason: 'not-stored' })
}

/** Runs `task` now and then every `ms`, never two at once; stop() waits for a run under way. */
function every(ms: number, task: () => Promise<void>, log: Logger) {
  let running: Promise<void> = Promise.resolve()
  const run = () => {
    running = running.then(task).catch((err: Error) => log.error({ err }, 'periodic task failed'))
  }
  run()
  const timer = setInterval(run, ms)
  return {
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
