import { join } from 'node:path'
import {
  BatchBuilder,
  encodeBatch,
  type Logger,
  metricsSubject,
  type Registry,
  registerOpsRoutes,
  tagsFromRecord,
} from '@peregrine/common'
import Fastify from 'fastify'
import type { NatsConnection } from 'nats'
import { Counter, Gauge } from 'prom-client'
import { watchAgentChecks } from './checks.ts'
import type { AgentConfig } from './config.ts'
import { Publisher } from './publisher.ts'
import { checkPush } from './push.ts'
import { hostSources } from './sources/index.ts'
import { PortSource } from './sources/ports.ts'
import { ProcessCountSource } from './sources/processes.ts'
import type { Emit, MetricSource } from './sources/source.ts'
import { Spool } from './spool.ts'

export { type AgentConfig, agentSettings, loadAgentConfig } from './config.ts'

export const AGENT_VERSION = '0.1.0'

export interface AgentDeps {
  nc: NatsConnection
  log: Logger
  registry: Registry
  /**
   * Host metric sources; defaults to /proc and /sys. The checks that strategies ask for
   * (net.port.listen, proc.num) are not among them: they always run, besides these.
   */
  sources?: MetricSource[]
}

export interface Agent {
  /** The port /v1/push listens on (useful when configured as 0). */
  port: number
  stop(): Promise<void>
}

export async function startAgent(config: AgentConfig, deps: AgentDeps): Promise<Agent> {
  const { log } = deps
  const source = { host: config.hostname, agent: AGENT_VERSION }
  const spool = await Spool.open(config.spoolDir || join(config.dataDir, 'agent-spool'), config.spoolMaxBytes)
  const publisher = new Publisher(deps.nc, metricsSubject(config.hostname), spool, log)
  const paths = { proc: config.procPath, sys: config.sysPath }
  // The checks strategies ask of this host follow its document in the agents bucket; the two
  // sources read the newest checks at every cycle, so a change shows up at the next step.
  const checks = watchAgentChecks(deps.nc, config.hostname, log)
  const sources = [
    ...(deps.sources ?? hostSources(paths)),
    new PortSource(paths, checks.current),
    new ProcessCountSource(paths, checks.current),
  ]
  const m = agentMetrics(deps.registry, spool, publisher)

  const sendBatch = async (b: BatchBuilder) => {
    if (b.size === 0) return
    const points = b.size
    await publisher.send(encodeBatch(b.take()), points)
  }

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
    emit('agent.alive', 1, 'GAUGE')
    emit('agent.spool.bytes', spool.bytes, 'GAUGE')
    emit('agent.spool.dropped.points', spool.droppedPoints, 'COUNTER')
    m.cycles.inc()
    m.points.inc(b.size)
    await sendBatch(b)
  }

  // Pushed points travel in their own batches, at most pushFlushMs after they arrived.
  let pushed = new BatchBuilder(source)
  const flushPushed = async () => {
    const b = pushed
    pushed = new BatchBuilder(source)
    await sendBatch(b)
  }

  const app = Fastify({ logger: false, bodyLimit: 8 * 1024 * 1024 })
  registerOpsRoutes(app, [deps.registry], async () => ({
    ok: true,
    detail: { spooledBatches: spool.size, spoolBytes: spool.bytes },
  }))
  // Open-Falcon scripts post JSON under any content type (curl -d sends a form type): read it all as JSON.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch {
      done(Object.assign(new Error('body is not JSON'), { statusCode: 400 }))
    }
  })
  app.post('/v1/push', async (req, reply) => {
    const { accepted, errors } = checkPush(req.body, Math.floor(Date.now() / 1000))
    if (pushed.size + accepted.length > config.maxPendingPush)
      return reply.code(503).send({ error: 'agent busy: too many pushed points waiting' })
    for (const p of accepted) pushed.add(p.series, p.ts, p.value)
    m.pushAccepted.inc(accepted.length)
    m.pushRejected.inc(errors.length)
    const status = accepted.length === 0 && errors.length > 0 ? 400 : 200
    return reply.code(status).send({ accepted: accepted.length, rejected: errors.length, errors })
  })
  try {
    await app.listen({ host: config.httpHost, port: config.httpPort })
  } catch (err) {
    await checks.stop()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.httpPort

  const loops = [every(config.step * 1000, collectCycle, log), every(config.pushFlushMs, flushPushed, log)]
  log.info({ host: config.hostname, step: config.step, port }, 'agent started')

  return {
    port,
    async stop() {
      await app.close()
      for (const l of loops) await l.stop()
      await checks.stop()
      await flushPushed()
      await publisher.settle()
      publisher.close()
    },
  }
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

function agentMetrics(registry: Registry, spool: Spool, publisher: Publisher) {
  const r = { registers: [registry] }
  new Gauge({
    name: 'peregrine_agent_spool_bytes',
    help: 'Bytes waiting in the spool',
    collect() {
      this.set(spool.bytes)
    },
    ...r,
  })
  new Gauge({
    name: 'peregrine_agent_spool_batches',
    help: 'Batches waiting in the spool',
    collect() {
      this.set(spool.size)
    },
    ...r,
  })
  new Gauge({
    name: 'peregrine_agent_spool_dropped_points',
    help: 'Points dropped from a full spool',
    collect() {
      this.set(spool.droppedPoints)
    },
    ...r,
  })
  new Gauge({
    name: 'peregrine_agent_publish_failures',
    help: 'Failed publishes',
    collect() {
      this.set(publisher.publishFailures)
    },
    ...r,
  })
  return {
    cycles: new Counter({ name: 'peregrine_agent_cycles_total', help: 'Collection cycles', ...r }),
    points: new Counter({ name: 'peregrine_agent_points_total', help: 'Points collected', ...r }),
    pushAccepted: new Counter({
      name: 'peregrine_agent_push_accepted_total',
      help: 'Pushed points accepted',
      ...r,
    }),
    pushRejected: new Counter({
      name: 'peregrine_agent_push_rejected_total',
      help: 'Pushed points rejected',
      ...r,
    }),
  }
}
