import { AuditLog } from '@peregrine/common/audit'
import type { Logger } from '@peregrine/common/log'
import type { Registry } from '@peregrine/common/metrics'
import {
  ConfigStore,
  ensureEventsStream,
  METRICS_PARTITIONS,
  startConfigPasses,
} from '@peregrine/common/nats'
import type { NatsConnection } from 'nats'
import type { JudgeConfig } from './config.ts'
import { installDefaultStrategies } from './defaults.ts'
import { openLeasesBucket, PartitionLeases } from './leases.ts'
import { judgeMetrics } from './metrics.ts'
import { PartitionWorker } from './partition.ts'
import { ReadShare } from './read-share.ts'
import { PartitionStateStore } from './state-store.ts'
import { StrategyView } from './strategy-view.ts'

export { type JudgeConfig, judgeSettings, loadJudgeConfig } from './config.ts'
export { DEFAULT_STRATEGIES } from './defaults.ts'

export interface JudgeDeps {
  nc: NatsConnection
  log: Logger
  registry: Registry
}

export interface Judge {
  /** The partitions this instance evaluates now. */
  readonly partitions: number[]
  stop(): Promise<void>
}

/**
 * The judge: evaluates strategies on the metrics stream as points arrive and publishes events.
 * Partitions of the stream are shared with the other live judges through leases; each held
 * partition has its own evaluator (partition.ts). Configuration changes reach every partition
 * within a second, without a restart.
 */
export async function startJudge(c: JudgeConfig, deps: JudgeDeps): Promise<Judge> {
  const { nc, log } = deps
  const metrics = judgeMetrics(deps.registry)
  const config = await ConfigStore.open(nc)
  const created = await installDefaultStrategies(config, await AuditLog.open(nc))
  if (created.length) log.info({ strategies: created }, 'default self-monitoring strategies installed')
  await ensureEventsStream(await nc.jetstreamManager())
  const states = await PartitionStateStore.open(nc, log)
  const view = new StrategyView()
  const workers = new Map<number, PartitionWorker>()
  const passes = await startConfigPasses(config, log, { what: 'judge strategies', nc }, async () => {
    await view.load(config)
    for (const w of workers.values()) w.configChanged()
  })
  const workerDeps = {
    nc,
    view,
    states,
    log,
    metrics,
    evaluator: { timeZone: c.timeZone },
    readShare: new ReadShare(c.readBufferBytes),
    replaySeconds: c.replaySeconds,
    nodataCheckMs: c.nodataCheckMs,
  }
  const lease = {
    partitions: METRICS_PARTITIONS,
    instance: c.instance,
    leaseMs: c.leaseMs,
    renewMs: c.renewMs,
  }
  const leases = new PartitionLeases(
    await openLeasesBucket(nc, lease),
    lease,
    {
      acquired: async (p) => {
        const w = new PartitionWorker(p, workerDeps)
        workers.set(p, w)
        metrics.partitions.set(workers.size)
        await w.start()
      },
      released: async (p) => {
        const w = workers.get(p)
        workers.delete(p)
        metrics.partitions.set(workers.size)
        await w?.stop()
      },
    },
    log,
  )
  leases.start()
  const gauges = setInterval(() => {
    let series = 0
    for (const w of workers.values()) series += w.seriesCount
    metrics.series.set(series)
  }, 5000)
  gauges.unref()
  log.info({ instance: c.instance }, 'judge started')

  return {
    get partitions() {
      return leases.owned
    },
    async stop() {
      clearInterval(gauges)
      await leases.stop()
      await passes.stop()
    },
  }
}
