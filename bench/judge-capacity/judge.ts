// The judge as `peregrine judge` runs it (runJudge, without its ops server and self-report), in a
// child process that the capacity benchmark asks for figures by IPC: partitions held, points
// read, series held and memory, after a full GC when asked. Run with --expose-gc.
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { connectNats, createLogger, createRegistry } from '@peregrine/common'
import { loadJudgeConfig, startJudge } from '@peregrine/judge'

export interface JudgeStats {
  partitions: number
  points: number
  series: number
  /** process.memoryUsage(), after two full GCs when asked. */
  memory: NodeJS.MemoryUsage
  /** Event-loop delay since the last stats asked with `reset`, ms. */
  loopDelayP99Ms: number
  loopDelayMaxMs: number
}

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')
const c = loadJudgeConfig()
const log = createLogger('judge', c.logLevel)
const nc = await connectNats(c, 'peregrine-judge', log)
const registry = createRegistry()
const judge = await startJudge(c, { nc, log, registry })
const loop = monitorEventLoopDelay({ resolution: 10 })
loop.enable()

async function metric(name: string): Promise<number> {
  const m = registry.getSingleMetric(name)
  return (await m?.get())?.values[0]?.value ?? 0
}

process.on(
  'message',
  async (m: { id: number } & ({ cmd: 'stats'; gc?: boolean; reset?: boolean } | { cmd: 'stop' })) => {
    if (m.cmd === 'stop') {
      await judge.stop()
      await nc.drain()
      process.exit(0)
    }
    if (m.gc) {
      gc()
      gc()
    }
    const stats: JudgeStats = {
      partitions: judge.partitions.length,
      points: await metric('peregrine_judge_points_total'),
      series: await metric('peregrine_judge_series'),
      memory: process.memoryUsage(),
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
    }
    if (m.reset) loop.reset()
    process.send?.({ id: m.id, ...stats })
  },
)
process.on('disconnect', () => process.exit(1))
process.send?.({ started: true })
