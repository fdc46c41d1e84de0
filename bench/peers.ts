// Peregrine beside VictoriaMetrics (issue 11): the data set of bench:ingest, in one run, through
// Peregrine's whole path (agent batches → NATS → collector → ClickHouse) and into Debian's
// VictoriaMetrics as Prometheus text; then the same figures for both, side by side, with the
// ratio Peregrine / VictoriaMetrics: points/s until every point is queryable, bytes per point on
// disk, peak RSS, CPU seconds per million points, and query latency p50/p99 of three shapes.
// Usage: npm run bench:peers [-- --points 5000000 --hosts 20 --metrics 500 --reps 200]
//        PEERS_POINTS=200000 npm run bench:peers          (a small run, to check it end to end)
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  ensureMetricsStream,
  natsConnectionOptions,
  nkeyClientConfig,
  startAuthorizedNatsServer,
} from '@peregrine/common'
import { tempDir } from '@peregrine/common/testing'
import { connect } from 'nats'
import { freePort } from '../cli/test/allinone.ts'
import { benchShape } from './data.ts'
import { cleanUpAll, removeAtExit } from './faults/system.ts'
import { startFleet } from './fleet.ts'
import { startIpcChild } from './ipc-child.ts'
import type { PeregrineArgs, PeregrineRequest, TableBytes } from './peers/peregrine.ts'
import {
  queryShapes,
  type Summary,
  sameAnswer,
  summarisePeregrine,
  summariseVictoria,
} from './peers/queries.ts'
import {
  ensureVictoriaMetrics,
  fileBytes,
  forceFlush,
  forceMerge,
  importBodies,
  instant,
  prometheusBodies,
  startVictoriaMetrics,
} from './peers/victoria.ts'
import { cpuSeconds, natsServerPid, percentile, statusBytes } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    /** Points in all, rounded up to whole cycles of every series. */
    points: { type: 'string', default: process.env.PEERS_POINTS ?? '5000000' },
    hosts: { type: 'string', default: '20' },
    metrics: { type: 'string', default: '500' },
    /** Points per collector batch and lines per VictoriaMetrics POST. */
    batch: { type: 'string', default: '100000' },
    /** VictoriaMetrics POSTs in flight at once. */
    parallel: { type: 'string', default: '2' },
    /** Timed repetitions per query shape and side, after `warmup` untimed ones. */
    reps: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '5' },
    out: { type: 'string', default: '.tmp/bench-peers.json' },
    /** Leaves the temporary folder (logs, both databases) for a post-mortem. */
    keep: { type: 'boolean', default: false },
  },
})
const SERIES = Number(args.hosts) * Number(args.metrics)
const shape = benchShape({
  hosts: Number(args.hosts),
  metricsPerHost: Number(args.metrics),
  cycles: Math.ceil(Number(args.points) / SERIES),
})
const N = SERIES * shape.cycles
const BATCH = Number(args.batch)
const REPS = Number(args.reps)
const WARMUP = Number(args.warmup)
const LAST = shape.start + (shape.cycles - 1) * shape.step
const RUN_LIMIT_MS = 60 * 60_000
/** How often "is every point queryable yet?" is asked while the clock runs. */
const POLL_MS = 20
const MiB = 2 ** 20

process.once('exit', cleanUpAll)
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))
setTimeout(() => {
  console.error(`peers: still running after ${RUN_LIMIT_MS / 60_000} min, giving up`)
  process.exit(2)
}, RUN_LIMIT_MS).unref()

const say = (text: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const round = (n: number, digits = 3) => +n.toFixed(digits)
const started = new Date()
const loadBefore = load()

/** Until `done()` holds, asking every POLL_MS: the end of a timed phase. */
async function until(done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) await sleep(POLL_MS)
}

/** Waits (≤ 60 s) until `pids` use under 5 % of a core together, so one side's leftovers (merges) do not run into the next phase. */
async function settle(pids: number[]): Promise<number> {
  const t0 = performance.now()
  const cpu = () => pids.reduce((s, p) => s + cpuSeconds(p), 0)
  while (performance.now() - t0 < 60_000) {
    const c0 = cpu()
    await sleep(1000)
    if (cpu() - c0 < 0.05) break
  }
  return (performance.now() - t0) / 1000
}

const victoriaVersion = ensureVictoriaMetrics(say)
const natsVersion = execFileSync('nats-server', ['--version'], { encoding: 'utf8' }).trim()
const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 19)
say(
  `peers: ${fmt(N)} points (${fmt(SERIES)} series × ${shape.cycles} cycles of ${shape.step} s, ` +
    `${iso(shape.start)} to ${iso(LAST)} UTC), victoria-metrics ${victoriaVersion}, ${natsVersion}, ` +
    `node ${process.version}; load ${loadBefore}`,
)

const dir = await tempDir('peregrine-bench-peers-')
if (args.keep) say(`keeping ${dir.path}`)
else removeAtExit(dir.path)

// ---- Both systems up before anything is timed.
const natsDir = join(dir.path, 'nats')
const nats = await startAuthorizedNatsServer({ dataDir: natsDir, agentHost: 'bench' })
const natsPid = natsServerPid(natsDir)
// The publisher stands in for a fleet of agents on one connection, which only a service
// credential allows (an agent credential publishes for one host), as in bench:ingest.
const natsClient = nkeyClientConfig(nats.url, nats.credentials.service.seedFile)
const nc = await connect(await natsConnectionOptions(natsClient))
await ensureMetricsStream(await nc.jetstreamManager())
const adminToken = `pgt_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('hex')}`
const dashboardPort = await freePort()
const peregrineArgs: PeregrineArgs = {
  natsClient,
  dataDir: join(dir.path, 'peregrine'),
  port: dashboardPort,
  adminToken,
  batchPoints: BATCH,
}
const peregrine = startIpcChild({
  script: join(import.meta.dirname, 'peers', 'peregrine.ts'),
  argv: [JSON.stringify(peregrineArgs)],
  name: 'peregrine',
  logFile: join(dir.path, 'peregrine.log'),
})
async function ask<T>(m: PeregrineRequest): Promise<T> {
  const a = await peregrine.ask<T & { error?: string }>(m)
  if (a.error) throw new Error(`peregrine (${m.cmd}): ${a.error}`)
  return a
}
await peregrine.ready
const victoria = await startVictoriaMetrics(join(dir.path, 'victoria-metrics'))
/** Resident memory with nothing stored yet: what each side costs before any data. */
const rssAtStart = {
  peregrine: statusBytes(peregrine.pid),
  'nats-server': statusBytes(natsPid),
  'victoria-metrics': statusBytes(victoria.pid),
}
say(
  `peregrine (collector + dashboard, pid ${peregrine.pid}), nats-server (pid ${natsPid}), victoria-metrics (pid ${victoria.pid}) up`,
)

// ---- The data, encoded for each side first: nothing timed builds it.
const fleet = await startFleet(natsClient, shape)
const bodies = prometheusBodies(shape, BATCH)
const textBytes = bodies.reduce((s, b) => s + b.byteLength, 0)
say(`data encoded: ${fmt(fleet.bytes / N)} bytes/point as batches, ${fmt(textBytes / N)} as Prometheus text`)

interface Ingest {
  seconds: number
  cpuSeconds: Record<string, number>
  /** Peak RSS of each storage process by the time every point was queryable (VmHWM). */
  peakRssIngest: Record<string, number>
  extra: Record<string, number>
}

/** Times `run` and reads the CPU of `pids` across it. */
async function timedIngest(pids: Record<string, number>, run: () => Promise<Record<string, number>>) {
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]))
  const t0 = performance.now()
  const extra = await run()
  const seconds = (performance.now() - t0) / 1000
  const result: Ingest = {
    seconds,
    cpuSeconds: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p) - cpu0[k]!])),
    peakRssIngest: Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, statusBytes(p, 'VmHWM')])),
    extra,
  }
  return result
}

// ---- VictoriaMetrics: POSTs of BATCH lines, `parallel` at once; then every point counted by a query.
await settle([victoria.pid, peregrine.pid, natsPid])
say('victoria-metrics: ingesting')
const countQuery = `sum(count_over_time({__name__=~"bench_.+"}[${LAST - shape.start + shape.step}s]))`
const vmIngest = await timedIngest({ 'victoria-metrics': victoria.pid }, async () => {
  const t0 = performance.now()
  await importBodies(victoria.url, bodies, Number(args.parallel))
  const posted = (performance.now() - t0) / 1000
  // Accepted rows wait in memory up to a second or two before searches see them; the flush
  // makes them searchable now, as Peregrine's rows are once the insert returns.
  await forceFlush(victoria.url)
  await until(async () => (await instant(victoria.url, countQuery, LAST)) >= N)
  return { postsAnsweredSeconds: posted }
})
const vmCounted = await instant(victoria.url, countQuery, LAST)
// ~85 bytes a point, not to be held through Peregrine's phase.
bodies.length = 0
say(`victoria-metrics: ${fmt(N / vmIngest.seconds)} points/s until queryable (${vmCounted} counted); merging`)
const month = new Date(shape.start * 1000).toISOString().slice(0, 7).replace('-', '_')
const monthOfLast = new Date(LAST * 1000).toISOString().slice(0, 7).replace('-', '_')
await forceMerge(victoria.url, [...new Set([month, monthOfLast])])
const vmData = join(victoria.dataDir, 'data')
/**
 * On disk, every file of the merged parts on both sides: VictoriaMetrics' part index.bin and
 * metaindex.bin (block headers, the series ids) beside Peregrine's marks, primary index and fp column.
 */
const vmBytes = {
  /** data/: the samples (timestamps.bin, values.bin) and their block index. */
  raw: await fileBytes(vmData),
  /** For comparison only: timestamps.bin and values.bin alone. */
  rawTimestampsAndValues: await fileBytes(vmData, new Set(['values.bin', 'timestamps.bin'])),
  /** indexdb/: series names and labels to ids, per day and in all. */
  index: await fileBytes(join(victoria.dataDir, 'indexdb')),
}

// ---- Peregrine: the publisher sends every batch as agents would; done when `points` counts all.
say(`settled in ${(await settle([victoria.pid, peregrine.pid, natsPid])).toFixed(1)} s; peregrine: ingesting`)
const pIngest = await timedIngest({ peregrine: peregrine.pid, 'nats-server': natsPid }, async () => {
  fleet.go()
  // The counter first (cheap), then the table, as bench:ingest: chdb runs one query at a time.
  await until(async () => (await ask<{ n: number }>({ cmd: 'inserted' })).n >= N)
  await until(async () => (await ask<{ n: number }>({ cmd: 'count' })).n >= N)
  return { publishSeconds: await fleet.done }
})
say(`peregrine: ${fmt(N / pIngest.seconds)} points/s until queryable; rolling`)
// Rollups are rolled after the fact (the collector's roller, every 10 s by default): until they
// are, the 1-minute shape reads nothing older than a few minutes. Timed apart, CPU included.
const pRoll = await timedIngest({ peregrine: peregrine.pid, 'nats-server': natsPid }, async () => {
  await until(async () => (await ask<{ n: number }>({ cmd: 'rolled' })).n >= N)
  return {}
})
say(`peregrine: rolled up ${pRoll.seconds.toFixed(1)} s later; merging`)
const { tables } = await ask<{ tables: Record<string, TableBytes> }>({ cmd: 'tables', optimize: true })
if (tables.samples!.rows !== N) throw new Error(`peregrine holds ${tables.samples!.rows} points, not ${N}`)
if (vmCounted !== N) throw new Error(`victoria-metrics counts ${vmCounted} points, not ${N}`)
const all = (k: 'compressed' | 'onDisk') => Object.values(tables).reduce((s, t) => s + t[k], 0)
const pBytes = {
  /** The samples table, every file of its parts (bytes_on_disk). */
  raw: tables.samples!.onDisk,
  /** The samples table's compressed column data only: what bench:ingest reports. */
  rawCompressedColumns: tables.samples!.compressed,
  /** With the 1 min and 1 h rollups, series and endpoints. */
  all: all('onDisk'),
  allCompressedColumns: all('compressed'),
}

// ---- Queries, both sides taking turns question by question.
await settle([victoria.pid, peregrine.pid, natsPid])
const base = { peregrine: `http://127.0.0.1:${dashboardPort}`, victoria: victoria.url }
const auth = { authorization: `Bearer ${adminToken}` }
async function get(url: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await fetch(url, { headers })
  const body = await r.text()
  if (!r.ok) throw new Error(`${url.split('?')[0]} answered ${r.status}: ${body.slice(0, 300)}`)
  return body
}
interface ShapeResult {
  name: string
  peregrineMs: number[]
  victoriaMs: number[]
  peregrineRequests: number
  answers: { peregrine: Summary; victoria: Summary }
  disagreements: number
}
const queries: ShapeResult[] = []
for (const q of queryShapes(shape)) {
  say(`queries: ${q.name}`)
  const r: ShapeResult = {
    name: q.name,
    peregrineMs: [],
    victoriaMs: [],
    peregrineRequests: 0,
    answers: { peregrine: { series: 0, points: 0, sum: 0 }, victoria: { series: 0, points: 0, sum: 0 } },
    disagreements: 0,
  }
  for (let k = 0; k < WARMUP + REPS; k++) {
    const a = q.ask(k)
    const sides = {
      peregrine: async () => Promise.all(a.peregrine.map((p) => get(base.peregrine + p, auth))),
      victoria: async () => [await get(base.victoria + a.victoria)],
    }
    const answers: Partial<Record<keyof typeof sides, string[]>> = {}
    // Alternating who goes first, so that neither always finds the machine as the other left it.
    for (const side of k % 2 ? (['victoria', 'peregrine'] as const) : (['peregrine', 'victoria'] as const)) {
      const t = performance.now()
      answers[side] = await sides[side]()
      if (k >= WARMUP) r[`${side}Ms`].push(performance.now() - t)
    }
    const p = summarisePeregrine(answers.peregrine!, q.interval)
    const v = summariseVictoria(answers.victoria![0]!)
    if (!sameAnswer(p, v)) {
      if (r.disagreements === 0)
        say(`  answers differ (repetition ${k}): ${JSON.stringify({ peregrine: p, victoria: v })}`)
      r.disagreements++
    }
    r.peregrineRequests = a.peregrine.length
    r.answers = { peregrine: p, victoria: v }
  }
  queries.push(r)
}

// ---- Peaks over the whole run, then everything stopped.
const peakRss = {
  peregrine: statusBytes(peregrine.pid, 'VmHWM'),
  'nats-server': statusBytes(natsPid, 'VmHWM'),
  'victoria-metrics': statusBytes(victoria.pid, 'VmHWM'),
}
await peregrine.stop()
await nc.close()
await nats.stop()
await victoria.stop()

// ---- Figures.
const NOTES = [
  'Peregrine: its collector + dashboard process (embedded ClickHouse) and nats-server; VictoriaMetrics: its one process. ' +
    'Building the data (batches, Prometheus text) and sending it are the clients’ work, on neither side.',
  `Until queryable: Peregrine from the first publish until \`points\` counts every point; VictoriaMetrics from the first of ${fmt(Math.ceil(N / BATCH))} POSTs (${args.parallel} at once) until a count_over_time query counts every point, after /internal/force_flush.`,
  'On disk, after OPTIMIZE … FINAL / force_merge: every file of the parts (bytes_on_disk; data/ and indexdb/).',
  'Peak RSS: VmHWM, Peregrine the sum of its two processes. CPU: utime + stime in /proc/<pid>/stat over the ingest.',
  `Queries, ${REPS} each side after ${WARMUP} untimed, taking turns, other series each time (GAUGE only), windows ending at the newest point; ` +
    'Peregrine through /api/v1/history with a token (100 series: one request naming 10 endpoints and their metrics), VictoriaMetrics through /api/v1/query_range (avg_over_time over 1 min buckets), response cache off.',
]
const perMillion = (cpu: number) => cpu / (N / 1e6)
const pCpu = pIngest.cpuSeconds.peregrine! + pIngest.cpuSeconds['nats-server']!
const vCpu = vmIngest.cpuSeconds['victoria-metrics']!
const pRssIngest = pIngest.peakRssIngest.peregrine! + pIngest.peakRssIngest['nats-server']!
const rows: { figure: string; peregrine: number; victoria: number; digits: number }[] = [
  {
    figure: 'points/s until queryable',
    peregrine: N / pIngest.seconds,
    victoria: N / vmIngest.seconds,
    digits: 0,
  },
  { figure: 'seconds until queryable', peregrine: pIngest.seconds, victoria: vmIngest.seconds, digits: 2 },
  {
    figure: 'seconds until rolled up (Peregrine) / queryable',
    peregrine: pIngest.seconds + pRoll.seconds,
    victoria: vmIngest.seconds,
    digits: 2,
  },
  { figure: 'bytes/point on disk, raw', peregrine: pBytes.raw / N, victoria: vmBytes.raw / N, digits: 3 },
  {
    figure: 'bytes/point on disk, with rollups + series / index',
    peregrine: pBytes.all / N,
    victoria: (vmBytes.raw + vmBytes.index) / N,
    digits: 3,
  },
  {
    figure: 'peak RSS MiB, ingest',
    peregrine: pRssIngest / MiB,
    victoria: vmIngest.peakRssIngest['victoria-metrics']! / MiB,
    digits: 1,
  },
  {
    figure: 'peak RSS MiB, whole run',
    peregrine: (peakRss.peregrine + peakRss['nats-server']) / MiB,
    victoria: peakRss['victoria-metrics'] / MiB,
    digits: 1,
  },
  { figure: 'CPU s per million points', peregrine: perMillion(pCpu), victoria: perMillion(vCpu), digits: 3 },
  {
    figure: 'CPU s per million points, rolling up included',
    peregrine: perMillion(pCpu + pRoll.cpuSeconds.peregrine! + pRoll.cpuSeconds['nats-server']!),
    victoria: perMillion(vCpu),
    digits: 3,
  },
  ...queries.flatMap((q) => [
    {
      figure: `${q.name}, p50 ms`,
      peregrine: percentile(q.peregrineMs, 50),
      victoria: percentile(q.victoriaMs, 50),
      digits: 2,
    },
    {
      figure: `${q.name}, p99 ms`,
      peregrine: percentile(q.peregrineMs, 99),
      victoria: percentile(q.victoriaMs, 99),
      digits: 2,
    },
  ]),
]
const loadAfter = load()
const result = {
  command: [
    process.env.PEERS_POINTS ? `PEERS_POINTS=${process.env.PEERS_POINTS}` : '',
    'npm run bench:peers',
    process.argv.length > 2 ? `-- ${process.argv.slice(2).join(' ')}` : '',
  ]
    .filter(Boolean)
    .join(' '),
  method: NOTES,
  started: started.toISOString(),
  seconds: round((Date.now() - started.getTime()) / 1000, 0),
  load: { before: loadBefore, after: loadAfter },
  versions: {
    node: process.version,
    victoriaMetrics: victoriaVersion,
    natsServer: natsVersion,
    commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
  },
  data: {
    points: N,
    series: SERIES,
    cycles: shape.cycles,
    step: shape.step,
    from: shape.start,
    to: LAST,
    batch: BATCH,
    victoriaParallelPosts: Number(args.parallel),
    wireBytesPerPoint: round(fleet.bytes / N, 1),
    prometheusTextBytesPerPoint: round(textBytes / N, 1),
  },
  figures: rows.map((r) => ({
    figure: r.figure,
    peregrine: round(r.peregrine, r.digits),
    victoriaMetrics: round(r.victoria, r.digits),
    ratio: round(r.peregrine / r.victoria, 3),
  })),
  peregrine: {
    ingestSeconds: round(pIngest.seconds, 3),
    publishSeconds: round(pIngest.extra.publishSeconds!, 3),
    cpuSeconds: Object.fromEntries(Object.entries(pIngest.cpuSeconds).map(([k, v]) => [k, round(v, 2)])),
    rssMiB: {
      atStart: mib({ peregrine: rssAtStart.peregrine, 'nats-server': rssAtStart['nats-server'] }),
      peakIngest: mib(pIngest.peakRssIngest),
      peakRun: mib({ peregrine: peakRss.peregrine, 'nats-server': peakRss['nats-server'] }),
    },
    bytesPerPoint: perPoint(pBytes),
    bytes: { ...pBytes, tables },
  },
  victoriaMetrics: {
    ingestSeconds: round(vmIngest.seconds, 3),
    postsAnsweredSeconds: round(vmIngest.extra.postsAnsweredSeconds!, 3),
    cpuSeconds: round(vCpu, 2),
    rssMiB: mib({
      atStart: rssAtStart['victoria-metrics'],
      peakIngest: vmIngest.peakRssIngest['victoria-metrics']!,
      peakRun: peakRss['victoria-metrics'],
    }),
    bytesPerPoint: perPoint(vmBytes),
    bytes: vmBytes,
  },
  queries: queries.map((q) => ({
    shape: q.name,
    repetitions: q.peregrineMs.length,
    peregrineRequestsEach: q.peregrineRequests,
    lastAnswer: q.answers,
    disagreements: q.disagreements,
    peregrineMs: summary(q.peregrineMs),
    victoriaMetricsMs: summary(q.victoriaMs),
  })),
}
function mib(bytes: Record<string, number>) {
  return Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, round(v / MiB, 1)]))
}
function perPoint(bytes: Record<string, number>) {
  return Object.fromEntries(Object.entries(bytes).map(([k, v]) => [k, round(v / N, 3)]))
}
function summary(ms: number[]) {
  const at = (p: number) => round(percentile(ms, p), 2)
  return { p50: at(50), p90: at(90), p99: at(99), max: at(100), min: at(0) }
}

const cell = (v: number, digits: number) => (digits === 0 ? fmt(v) : v.toFixed(digits))
console.log(
  `\n${fmt(N)} points, ${fmt(SERIES)} series; load ${loadBefore} → ${loadAfter}; ` +
    `victoria-metrics ${victoriaVersion}\n`,
)
console.log('| figure | Peregrine | VictoriaMetrics | Peregrine / VictoriaMetrics |')
console.log('| --- | --- | --- | --- |')
for (const r of rows)
  console.log(
    `| ${r.figure} | ${cell(r.peregrine, r.digits)} | ${cell(r.victoria, r.digits)} | ${(r.peregrine / r.victoria).toFixed(3)} |`,
  )
const disagreements = queries.reduce((s, q) => s + q.disagreements, 0)
console.log(`\n${NOTES.map((n) => `- ${n}`).join('\n')}`)
console.log(
  `\nanswers: ${disagreements === 0 ? 'the same on both sides' : `${disagreements} differ`} ` +
    `(series, points and their sum, every repetition)`,
)
const out = resolve(args.out)
await mkdir(dirname(out), { recursive: true })
await writeFile(out, `${JSON.stringify(result, null, 2)}\n`)
say(`written ${out}`)
if (!args.keep) await dir.remove()
process.exit(disagreements === 0 ? 0 : 1)
