// Judge capacity (docs/benchmarks.md): one judge process holding --series active series (1,000,000:
// --hosts hosts × series per host, metric bench.cap with a tag i=<n>), all matched by one
// expression `bench.cap all(#3) > 1e12`, fed through the metrics stream at a 10 s step. Measures
// the judge's memory (RSS and heap per series), its CPU per point, whether it keeps up with a
// cycle every 10 s, and whether and how fast it drains a burst of cycles; against the pure
// evaluator (bench/judge-eval.ts) run in the same run on as many series.
// Usage: npm run bench:judge-capacity [-- --series 1000000 --hosts 1000 --leases default|relaxed --steady 6 --burst 5]
import { execFile } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs, promisify } from 'node:util'
import {
  ConfigStore,
  ensureEventsStream,
  ensureMetricsStream,
  METRICS_PARTITIONS,
  natsConnectionOptions,
  nkeyClientConfig,
  type Strategy,
  StrategySpec,
  startAuthorizedNatsServer,
} from '@peregrine/common'
import { tempDir, waitFor } from '@peregrine/common/testing'
import { connect } from 'nats'
import { cleanUpAll, removeAtExit } from './faults/system.ts'
import { startIpcChild } from './ipc-child.ts'
import type { JudgeStats } from './judge-capacity/judge.ts'
import { cpuSeconds, natsServerPid, statusBytes } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '1000000' },
    hosts: { type: 'string', default: '1000' },
    /** Cycles one every 10 s after the warm-up (3 cycles, also 10 s apart). */
    steady: { type: 'string', default: '6' },
    /** Cycles published back to back after the steady ones: can the judge drain a backlog? */
    burst: { type: 'string', default: '5' },
    /** Cycles one every 10 s after the burst (it may need new messages to notice what it lost). */
    after: { type: 'string', default: '3' },
    /**
     * default: the judge's lease settings (5 s lease, renewed every second), as deployed.
     * relaxed: a 60 s lease renewed every 10 s, so that renewals late under load do not make the
     * judge give partitions up and re-read them: the evaluation's own capacity.
     */
    leases: { type: 'string', default: 'default' },
    'no-reference': { type: 'boolean', default: false },
    /** Leaves the temporary folder (logs of the judge and nats-server) for a post-mortem. */
    keep: { type: 'boolean', default: false },
    /** Writes a CPU profile of the judge (node --cpu-prof) into this folder. */
    'judge-profile': { type: 'string' },
  },
})
const HOSTS = Number(args.hosts)
const PER_HOST = Math.round(Number(args.series) / HOSTS)
const SERIES = HOSTS * PER_HOST
const STEP_MS = 10_000
const WARM_CYCLES = 3
/** No point read for this long while some are waiting: the judge has stopped reading. */
const STALL_MS = 30_000
const RUN_LIMIT_MS = 40 * 60_000

process.once('exit', cleanUpAll)
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))
setTimeout(() => {
  console.error(`judge-capacity: still running after ${RUN_LIMIT_MS / 60_000} min, giving up`)
  process.exit(2)
}, RUN_LIMIT_MS).unref()

const MiB = 1024 * 1024
const mib = (b: number) => +(b / MiB).toFixed(1)
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const say = (text: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
const started = new Date()
const loadBefore = load()
say(
  `judge capacity: node ${process.version}, ${fmt(SERIES)} series (${fmt(HOSTS)} hosts × ${fmt(PER_HOST)}); load ${loadBefore}`,
)

// ---- Reference: the pure evaluator on as many series, alone, before anything else runs.
async function reference(): Promise<{ pointsPerSec: number; bytesPerSeries: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      '--import',
      'tsx',
      join(import.meta.dirname, 'judge-eval.ts'),
      '--series',
      String(SERIES),
      '--rounds',
      '10',
    ],
    { cwd: join(import.meta.dirname, '..'), maxBuffer: 1 << 20 },
  )
  const num = (re: RegExp) => Number(stdout.match(re)?.[1]?.replace(/,/g, ''))
  return {
    pointsPerSec: num(/= ([\d,]+) points\/s on one core/),
    bytesPerSeries: num(/= ([\d,]+) bytes per series/),
  }
}
const ref = args['no-reference'] ? null : await reference()
if (ref)
  say(`reference (bench/judge-eval.ts): ${fmt(ref.pointsPerSec)} points/s, ${ref.bytesPerSeries} B/series`)

// ---- NATS (its log kept, for slow consumers), streams, the strategy.
const dir = await tempDir('peregrine-bench-capacity-')
if (args.keep) say(`keeping ${dir.path}`)
else removeAtExit(dir.path)
const natsLog = join(dir.path, 'nats-server.log')
const natsBinary = join(dir.path, 'nats-server.sh')
writeFileSync(natsBinary, `#!/bin/sh\nexec nats-server -l '${natsLog}' "$@"\n`, { mode: 0o755 })
const nats = await startAuthorizedNatsServer({
  dataDir: join(dir.path, 'nats'),
  agentHost: 'bench',
  binary: natsBinary,
})
const natsPid = natsServerPid(join(dir.path, 'nats'))
const natsClient = nkeyClientConfig(nats.url, nats.credentials.service.seedFile)
const nc = await connect(await natsConnectionOptions(natsClient))
const jsm = await nc.jetstreamManager()
await ensureMetricsStream(jsm)
await ensureEventsStream(jsm)
const config = await ConfigStore.open(nc)
const strategy = {
  ...StrategySpec.parse({
    name: 'bench-cap',
    metric: 'bench.cap',
    fn: 'all',
    window: '#3',
    operator: '>',
    threshold: 1e12,
  }),
  id: 's_bench_cap',
  node: null,
} as Strategy
await config.strategies.create(strategy.id, strategy)

// ---- The judge and the load, each its own process, spoken to by IPC.
function child(script: string, nodeArgs: string[], argv: string[], env: NodeJS.ProcessEnv, name: string) {
  const logFile = join(dir.path, `${name}.log`)
  return startIpcChild({
    script: join(import.meta.dirname, 'judge-capacity', script),
    nodeArgs,
    argv,
    env,
    name,
    logFile,
  })
}

const judge = child(
  'judge.ts',
  [
    '--expose-gc',
    ...(args['judge-profile'] ? ['--cpu-prof', `--cpu-prof-dir=${args['judge-profile']}`] : []),
  ],
  [],
  {
    NATS_URL: nats.url,
    NATS_NKEY_FILE: nats.credentials.service.seedFile,
    JUDGE_INSTANCE: 'capacity',
    // Every other setting is the default. With the default leases, a judge that cannot renew them
    // in time under load gives its partitions up and takes them again, re-reading the stream.
    ...(args.leases === 'relaxed' ? { JUDGE_LEASE_MS: '60000', JUDGE_RENEW_MS: '10000' } : {}),
    // info: each partition start is logged, which counts restarts.
    LOG_LEVEL: 'info',
  },
  'judge',
)
const publisher = child(
  'publisher.ts',
  [],
  [JSON.stringify({ natsClient, hosts: HOSTS, perHost: PER_HOST })],
  {},
  'publisher',
)
await Promise.all([judge.ready, publisher.ready])
const stats = (gc = false, reset = false) => judge.ask<JudgeStats>({ cmd: 'stats', gc, reset })
await waitFor(
  async () => (await stats()).partitions === METRICS_PARTITIONS,
  60_000,
  'the judge to hold every partition',
)

/** Lines of a log that mention `text`. */
const mentions = (file: string, text: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.includes(text)).length
/** What went wrong around the judge: slow-consumer disconnections and lease trouble, so far. */
const trouble = () => ({
  slowConsumer: mentions(natsLog, 'Slow Consumer'),
  leaseRoundFailed: mentions(judge.service.logFile, 'judge lease round failed'),
  leaseLost: mentions(judge.service.logFile, 'judge lease lost'),
  leaseNotRenewed: mentions(judge.service.logFile, 'could not be renewed in time'),
  stateSaveFailed: mentions(judge.service.logFile, 'saving the partition state failed'),
  /** Partition starts beyond the first of each: restarts, each re-reading the stream to fill windows. */
  partitionRestarts: mentions(judge.service.logFile, '"judging partition"') - METRICS_PARTITIONS,
})

// ---- A monitor: the judge's points read and RSS every 100 ms, all run long.
let published = 0
const samples: { t: number; points: number; rss: number }[] = []
let monitoring = true
const monitor = (async () => {
  while (monitoring) {
    const s = await stats().catch(() => null)
    if (!s) break
    samples.push({ t: performance.now(), points: s.points, rss: statusBytes(judge.pid) })
    await sleep(100)
  }
})()
const lastPoints = () => samples.at(-1)?.points ?? 0
/** When the judge had first read `points` (performance.now()), if it has. */
const readAt = (points: number) => samples.find((s) => s.points >= points)?.t

/**
 * Until the judge has read every point published so far, or has read nothing for STALL_MS while
 * some wait.
 */
async function drained(): Promise<{ ok: boolean; behind: number }> {
  let progressAt = performance.now()
  let seen = lastPoints()
  for (;;) {
    const points = lastPoints()
    if (points >= published) return { ok: true, behind: 0 }
    if (points > seen) {
      seen = points
      progressAt = performance.now()
    }
    if (performance.now() - progressAt > STALL_MS) return { ok: false, behind: published - points }
    await sleep(100)
  }
}

const encode = async (ts: number[]) => (await publisher.ask<{ bytes: number }>({ cmd: 'encode', ts })).bytes
let ts = Math.floor(Date.now() / 1000)
ts -= ts % 10
const nextTs = () => {
  ts += 10
  return ts
}

interface CycleResult {
  /** From the start of the cycle's publication until the judge had read all of it; null: never. */
  readMs: number | null
  publishMs: number
}

let idleCpuPerSecond = 0

/**
 * One phase: `cycles` cycles published one every 10 s (paced) or back to back; with the judge's
 * CPU, RSS, event-loop delay and any trouble over it.
 */
async function phase(name: string, cycles: number, paced: boolean) {
  const trouble0 = trouble()
  await stats(false, true) // resets the event-loop histogram
  const c0 = { judge: cpuSeconds(judge.pid), nats: cpuSeconds(natsPid), publisher: cpuSeconds(publisher.pid) }
  const t0 = performance.now()
  const sent: { at: number; through: number; publishMs: number }[] = []
  if (cycles === 0) {
    await sleep(STEP_MS) // idle: what the judge costs with nothing to read
  } else if (paced) {
    await encode([nextTs()])
    for (let k = 0; k < cycles; k++) {
      await sleep(Math.max(0, t0 + k * STEP_MS - performance.now()))
      const at = performance.now()
      published += SERIES
      const publishMs = (await publisher.ask<{ ms: number }>({ cmd: 'publish' })).ms
      sent.push({ at, through: published, publishMs })
      if (k + 1 < cycles) await encode([nextTs()])
    }
  } else {
    await encode(Array.from({ length: cycles }, nextTs))
    const at = performance.now()
    published += cycles * SERIES
    const publishMs = (await publisher.ask<{ ms: number }>({ cmd: 'publish' })).ms
    sent.push({ at, through: published, publishMs })
  }
  const end = await drained()
  const readAll = performance.now()
  // Paced: CPU over whole periods (the judge's idle work counts too).
  if (paced && end.ok) await sleep(Math.max(0, t0 + cycles * STEP_MS - performance.now()))
  const seconds = (performance.now() - t0) / 1000
  const c1 = { judge: cpuSeconds(judge.pid), nats: cpuSeconds(natsPid), publisher: cpuSeconds(publisher.pid) }
  const s = await stats()
  const inPhase = samples.filter((x) => x.t >= t0)
  const trouble1 = trouble()
  const points = cycles * SERIES
  const judgeCpu = c1.judge - c0.judge
  const restarts = trouble1.partitionRestarts - trouble0.partitionRestarts
  const result = {
    name,
    cycles,
    paced,
    points,
    /**
     * The judge counts every point it reads, re-read ones too: after a partition restart (which
     * re-reads the stream), "read" figures and rates overstate what was evaluated.
     */
    readsReliable: restarts === 0 && trouble0.partitionRestarts === 0,
    drained: end.ok,
    behind: end.behind,
    seconds: +seconds.toFixed(2),
    /** Back to back: from the first publish until every point was read. */
    drainSeconds: paced ? null : +((readAll - t0) / 1000).toFixed(2),
    cyclesRead: sent.map((c): CycleResult => {
      const at = readAt(c.through)
      return { readMs: at === undefined ? null : Math.round(at - c.at), publishMs: Math.round(c.publishMs) }
    }),
    judgeCpuSeconds: +judgeCpu.toFixed(2),
    judgeCpuPercentOfCore: +((judgeCpu / seconds) * 100).toFixed(1),
    natsCpuSeconds: +(c1.nats - c0.nats).toFixed(2),
    publisherCpuSeconds: +(c1.publisher - c0.publisher).toFixed(2),
    pointsPerJudgeCpuSecond: end.ok && points > 0 ? Math.round(points / judgeCpu) : null,
    /** The same, less what the judge costs idle (leases, checkpoints) over as long. */
    pointsPerJudgeCpuSecondNetOfIdle:
      end.ok && points > 0 ? Math.round(points / (judgeCpu - idleCpuPerSecond * seconds)) : null,
    rssMaxMiB: mib(Math.max(...inPhase.map((x) => x.rss))),
    loopDelayP99Ms: +s.loopDelayP99Ms.toFixed(1),
    loopDelayMaxMs: +s.loopDelayMaxMs.toFixed(1),
    trouble: Object.fromEntries(
      Object.entries(trouble1).map(([k, v]) => [k, v - trouble0[k as keyof typeof trouble0]]),
    ),
  }
  const reads = result.cyclesRead.map((c) => (c.readMs === null ? 'never' : `${c.readMs} ms`)).join(', ')
  if (!result.readsReliable)
    say(`${name}: partitions restarted and re-read the stream; read figures overstate`)
  say(
    `${name}: ${fmt(points)} points ${end.ok ? 'read' : `NOT read (${fmt(end.behind)} behind)`} in ${result.seconds} s; ` +
      `cycles read in ${reads}; judge CPU ${result.judgeCpuSeconds} s (${result.judgeCpuPercentOfCore} % of a core), ` +
      `RSS max ${result.rssMaxMiB} MiB; trouble ${JSON.stringify(result.trouble)}`,
  )
  return result
}

/** The judge's memory after two full GCs, with its series gauge fresh (it is set every 5 s). */
async function memory() {
  await sleep(5500)
  const s = await stats(true)
  return { rss: statusBytes(judge.pid), heap: s.memory.heapUsed + s.memory.arrayBuffers, series: s.series }
}

const base = await memory()
say(`judge up: RSS ${mib(base.rss)} MiB, heap ${mib(base.heap)} MiB after GC`)
const wireBytesPerPoint = (await encode([ts + 10])) / SERIES // encoded and dropped: not published
await publisher.ask({ cmd: 'drop' }).catch(() => undefined)
const idle = await phase('idle', 0, true)
idleCpuPerSecond = idle.judgeCpuSeconds / idle.seconds
const phases = [idle, await phase('warm-up', WARM_CYCLES, true)]
const held = await memory()
say(`held: ${fmt(held.series)} series, RSS ${mib(held.rss)} MiB, heap ${mib(held.heap)} MiB after GC`)
phases.push(await phase('steady', Number(args.steady), true))
phases.push(await phase('burst', Number(args.burst), false))
if (Number(args.after) > 0) phases.push(await phase('after the burst', Number(args.after), true))
const after = await memory()
monitoring = false
await monitor

await Promise.all([judge.stop(), publisher.stop()])
await nc.close()
await nats.stop()
if (!args.keep) await dir.remove()

const result = {
  date: started.toISOString(),
  node: process.version,
  loadBefore,
  loadAfter: load(),
  series: SERIES,
  hosts: HOSTS,
  leases: args.leases,
  seriesHeld: held.series,
  wireBytesPerPoint: +wireBytesPerPoint.toFixed(1),
  memory: {
    idleRssMiB: mib(base.rss),
    idleHeapMiB: mib(base.heap),
    heldRssMiB: mib(held.rss),
    heldHeapMiB: mib(held.heap),
    rssMaxMiB: Math.max(...phases.map((p) => p.rssMaxMiB)),
    endRssMiB: mib(after.rss),
    endHeapMiB: mib(after.heap),
    rssBytesPerSeries: Math.round((held.rss - base.rss) / held.series),
    heapBytesPerSeries: Math.round((held.heap - base.heap) / held.series),
  },
  phases,
  reference: ref && {
    what: 'bench/judge-eval.ts: the evaluator alone on as many series, one thread, no I/O',
    pointsPerSec: ref.pointsPerSec,
    bytesPerSeries: ref.bytesPerSeries,
    ratioHeapBytesPerSeries: +((held.heap - base.heap) / held.series / ref.bytesPerSeries).toFixed(2),
    ratioPointsPerCpuSecond: Object.fromEntries(
      phases.map((p) => [
        p.name,
        p.pointsPerJudgeCpuSecond === null
          ? null
          : +(p.pointsPerJudgeCpuSecond / ref.pointsPerSec).toFixed(3),
      ]),
    ),
  },
}
console.log(JSON.stringify(result, null, 2))
process.exit(0)
