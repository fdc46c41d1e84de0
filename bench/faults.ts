// The fault benchmark (docs/reliability.md): real Peregrine processes on loopback, under a steady
// push load, each case injecting one fault and counting, at the end, every acknowledged point in
// ClickHouse. Run: npm run bench:faults [-- --quick]
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import type { FalconPoint } from '@peregrine/common'
import { tempDir } from '@peregrine/common/testing'
import { emptyTally, LOAD_PREFIX, type Load, type PushTally, push, startLoad } from './faults/load.ts'
import { AllInOne, Distributed, type Stack, waitHealthy } from './faults/stacks.ts'
import {
  cleanUpAll,
  countStored,
  fillVolume,
  freeVolume,
  httpOk,
  killByPidFile,
  killService,
  logMentions,
  metricValue,
  mountTmpfs,
  removeAtExit,
  timeToRecover,
  unmount,
  waitDrained,
  whenCollectorHolds,
} from './faults/system.ts'

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pushers: { type: 'string', default: '4' },
    interval: { type: 'string', default: '250' },
    only: { type: 'string' },
  },
})
const quick = args.quick
const PUSHERS = Number(args.pushers)
const INTERVAL_MS = Number(args.interval)
/** Load before the fault, and after it while recovery is timed. */
const WARM_MS = 5_000
const AFTER_MS = 10_000
const STORAGE_DOWN_MS = quick ? 10_000 : 60_000
const NATS_DOWN_MS = quick ? 10_000 : 20_000
const COLLECTOR_DOWN_MS = 10_000
const ALLINONE_DOWN_MS = 5_000
const RECOVER_TIMEOUT_MS = 120_000
/** The collector's ack wait (60 s) is when a killed collector's messages come back, plus margin. */
const DRAIN_TIMEOUT_MS = 120_000
/** The whole run stops by itself after this, whatever hangs. */
const RUN_LIMIT_MS = 20 * 60_000
const canMount = process.getuid?.() === 0 && process.platform === 'linux'

interface Outcome {
  name: string
  tally: PushTally
  stored: number
  recoverMs: number | null
  notes: string[]
}

function abandon(code: number): never {
  cleanUpAll()
  process.exit(code)
}
// Also on a crash of this process (an uncaught error skips every `finally`): nothing may outlive it.
process.once('exit', cleanUpAll)
process.once('SIGINT', () => abandon(130))
process.once('SIGTERM', () => abandon(143))
setTimeout(() => {
  console.error(`faults: still running after ${RUN_LIMIT_MS / 60_000} min, giving up`)
  abandon(2)
}, RUN_LIMIT_MS).unref()

/** Load on `stack`, `fault` (which resolves when the fault ends), load again while recovery is timed. */
async function underLoad(stack: Stack, fault: (load: Load) => Promise<void>) {
  const load = startLoad({ url: () => stack.agentUrl, pushers: PUSHERS, intervalMs: INTERVAL_MS })
  await sleep(WARM_MS)
  await fault(load)
  const since = performance.now()
  const recovery = timeToRecover({
    since,
    health: stack.health,
    metrics: stack.metrics,
    timeoutMs: RECOVER_TIMEOUT_MS,
  })
  await sleep(AFTER_MS)
  const tally = await load.stop()
  return { tally, recoverMs: await recovery }
}

/** Waits for the pipeline to empty, stops it cleanly and counts what was stored, per endpoint. */
async function settle(stack: Stack, notes: string[]): Promise<Record<string, number>> {
  await sleep(1500) // the agent sends pushed points at most 1 s after they arrived
  const drained = await waitDrained({
    nats: await stack.natsOptions(),
    agentHealth: stack.health[1]!,
    timeoutMs: DRAIN_TIMEOUT_MS,
  }).catch((err: Error) => ({ ok: false, left: err.message, redelivered: 0 }))
  if (!drained.ok) notes.push(`not drained after ${DRAIN_TIMEOUT_MS / 1000} s: ${drained.left}`)
  if (drained.redelivered) notes.push(`${fmt(drained.redelivered)} messages redelivered`)
  const rejected = await metricValue(stack.metrics, 'peregrine_collector_points_rejected_total')
  if (rejected) notes.push(`collector rejected ${fmt(rejected)} points`)
  await stack.stop()
  return countStored(stack.clickhouseDir)
}

const sumWhere = (counts: Record<string, number>, keep: (endpoint: string) => boolean) =>
  Object.entries(counts).reduce((n, [e, c]) => n + (keep(e) ? c : 0), 0)
const loadStored = (counts: Record<string, number>) => sumWhere(counts, (e) => e.startsWith(LOAD_PREFIX))

/** Runs one case in its own folder, however it ends: processes stopped, mounts and folder removed. */
async function inFolder(
  name: string,
  run: (dir: string, cleanups: (() => Promise<void> | void)[]) => Promise<Omit<Outcome, 'name'>>,
): Promise<Outcome> {
  const dir = await tempDir('peregrine-faults-')
  removeAtExit(dir.path)
  const cleanups: (() => Promise<void> | void)[] = []
  console.error(`faults: ${name}…`)
  const t0 = performance.now()
  try {
    return { name, ...(await run(dir.path, cleanups)) }
  } catch (err) {
    console.error(err)
    return {
      name,
      tally: emptyTally(),
      stored: 0,
      recoverMs: null,
      notes: [`failed: ${(err as Error).message}`],
    }
  } finally {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined)
    await dir.remove()
    console.error(`faults: ${name} took ${((performance.now() - t0) / 1000).toFixed(0)} s`)
  }
}

/** A distributed stack in `dir`, after `prepare` made its folders; stopped and disposed by the case's cleanups. */
async function distributed(
  dir: string,
  cleanups: (() => Promise<void> | void)[],
  prepare: (dir: string) => Promise<void> = async () => undefined,
): Promise<Distributed> {
  await mkdir(join(dir, 'collector'))
  await mkdir(join(dir, 'agent'))
  await prepare(dir)
  const stack = await Distributed.start(dir)
  cleanups.push(
    () => stack.dispose(),
    () => stack.stop(),
  )
  await waitHealthy(stack)
  return stack
}

/** A small volume mounted at `path` for this case; unmounted by its cleanups. */
function smallVolume(path: string, megabytes: number, cleanups: (() => Promise<void> | void)[]): void {
  mountTmpfs(path, megabytes)
  cleanups.push(() => unmount(path))
}

/** Which of a distributed stack's /healthz do not answer 200 right now: how the fault shows to a monitor. */
async function healthNow(stack: Distributed): Promise<string> {
  const names = ['collector', 'agent']
  const ok = await Promise.all(stack.health.map(httpOk))
  const bad = names.filter((_, i) => !ok[i])
  return bad.length ? `/healthz not 200: ${bad.join(', ')}` : 'every /healthz 200'
}

/** The agent's spool as its metrics tell. */
async function spooled(stack: Stack): Promise<string> {
  const metrics = `${stack.agentUrl}/metrics`
  const bytes = (await metricValue(metrics, 'peregrine_agent_spool_bytes')) ?? 0
  const dropped = (await metricValue(metrics, 'peregrine_agent_spool_dropped_points')) ?? 0
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB, ${fmt(dropped)} points dropped from it`
}

const killCollector = () =>
  inFolder('kill -9 collector', async (dir, cleanups) => {
    const stack = await distributed(dir, cleanups)
    const notes = [`collector down ${COLLECTOR_DOWN_MS / 1000} s, restarted on the same data folder`]
    const run = await underLoad(stack, async () => {
      const held = await whenCollectorHolds(await stack.natsOptions())
      await killService(stack.collector)
      notes.push(`killed holding ${held} unacknowledged messages`)
      await sleep(COLLECTOR_DOWN_MS)
      stack.startCollector()
    })
    const stored = loadStored(await settle(stack, notes))
    return { ...run, stored, notes }
  })

const storageUnavailable = () =>
  inFolder(`storage unavailable ${STORAGE_DOWN_MS / 1000} s`, async (dir, cleanups) => {
    if (!canMount) return skipped('needs root for a tmpfs')
    const stack = await distributed(dir, cleanups, async (d) =>
      smallVolume(join(d, 'collector'), 512, cleanups),
    )
    const notes = [`ClickHouse's volume full for ${STORAGE_DOWN_MS / 1000} s, then freed`]
    const run = await underLoad(stack, async () => {
      const filler = await fillVolume(stack.collectorData, 0)
      await sleep(STORAGE_DOWN_MS)
      const failures = await metricValue(stack.metrics, 'peregrine_collector_insert_failures_total')
      notes.push(`${failures ?? 'unknown'} failed inserts meanwhile`, `at the end: ${await healthNow(stack)}`)
      await freeVolume(filler)
    })
    const stored = loadStored(await settle(stack, notes))
    return { ...run, stored, notes }
  })

const natsStopped = () =>
  inFolder(`NATS stopped ${NATS_DOWN_MS / 1000} s`, async (dir, cleanups) => {
    const stack = await distributed(dir, cleanups)
    const notes = ['nats-server stopped, restarted on the same port and store']
    const run = await underLoad(stack, async () => {
      await stack.nats.stop()
      await sleep(NATS_DOWN_MS)
      notes.push(`at the end: agent spool ${await spooled(stack)}, ${await healthNow(stack)}`)
      await stack.nats.restart()
    })
    const stored = loadStored(await settle(stack, notes))
    return { ...run, stored, notes }
  })

const killAllInOne = () =>
  inFolder('kill -9 all-in-one', async (dir, cleanups) => {
    const stack = await AllInOne.start(dir)
    cleanups.push(
      () => stack.dispose(),
      () => stack.stop(),
    )
    await waitHealthy(stack)
    const notes = [`killed as a push was acknowledged, down ${ALLINONE_DOWN_MS / 1000} s, restarted`]
    const run = await underLoad(stack, async (load) => {
      await load.acknowledged()
      await killService(stack.process)
      await sleep(ALLINONE_DOWN_MS)
      if (killByPidFile(stack.natsPidFile))
        notes.push('its nats-server outlived it (killed by the benchmark)')
      stack.restart()
    })
    const stored = loadStored(await settle(stack, notes))
    return { ...run, stored, notes }
  })

const fullDisk = () =>
  inFolder(`full disk, NATS down ${NATS_DOWN_MS / 1000} s`, async (dir, cleanups) => {
    if (!canMount) return skipped('needs root for a tmpfs')
    const stack = await distributed(dir, cleanups, async (d) => smallVolume(join(d, 'agent'), 64, cleanups))
    const notes = [
      `agent's spool on a tmpfs with 1 MiB free, NATS down ${NATS_DOWN_MS / 1000} s, then both back`,
    ]
    const run = await underLoad(stack, async () => {
      const filler = await fillVolume(join(dir, 'agent'), 1024 ** 2)
      await stack.nats.stop()
      await sleep(NATS_DOWN_MS)
      const enospc = logMentions(stack.agent.logFile, 'ENOSPC')
      notes.push(
        `at the end: agent spool ${await spooled(stack)}, ${enospc} ENOSPC errors logged, ${await healthNow(stack)}`,
      )
      await freeVolume(filler)
      await stack.nats.restart()
    })
    const stored = loadStored(await settle(stack, notes))
    return { ...run, stored, notes }
  })

interface Poison {
  label: string
  endpoint: string
  pushes: FalconPoint[][]
}

/** The three poison pushes of issue 7. */
function poisonPushes(now: number): Poison[] {
  const point = (endpoint: string, metric: string, timestamp: number): FalconPoint => ({
    endpoint,
    metric,
    timestamp,
    step: 60,
    value: 1,
    counterType: 'GAUGE',
  })
  const long = 'x'.repeat(3000)
  return [
    // 102 daily points: 101 days between the first and the last, 102 daily partitions.
    {
      label: '101-day span',
      endpoint: 'poison-span',
      pushes: [Array.from({ length: 102 }, (_, d) => point('poison-span', 'span', now - d * 86_400))],
    },
    { label: '3,000-character endpoint', endpoint: long, pushes: [[point(long, 'long', now)]] },
    // 60,000 series at one instant, in pushes of the 10,000 points a push may carry.
    {
      label: '60,000 series',
      endpoint: 'poison-wide',
      pushes: Array.from({ length: 6 }, (_, p) =>
        Array.from({ length: 10_000 }, (_, i) => point('poison-wide', `wide.${p * 10_000 + i}`, now)),
      ),
    },
  ]
}

const poison = () =>
  inFolder('poison pushes', async (dir, cleanups) => {
    const stack = await distributed(dir, cleanups)
    const poisons = poisonPushes(Math.floor(Date.now() / 1000))
    const tallies = poisons.map(emptyTally)
    const run = await underLoad(stack, async () => {
      // All at once, as independent scripts would: the wide ones land in one agent flush.
      await Promise.all(
        poisons.flatMap((p, k) =>
          p.pushes.map((points) => push(`${stack.agentUrl}/v1/push`, points, tallies[k]!)),
        ),
      )
    })
    const counts = await settle(stack, [])
    const notes = poisons.map(
      (p, k) =>
        `${p.label}: ${fmt(tallies[k]!.acked)} acknowledged, ${fmt(tallies[k]!.refused)} refused, ${fmt(counts[p.endpoint] ?? 0)} stored`,
    )
    notes.push(`load alone: ${fmt(run.tally.acked)} acknowledged, ${fmt(loadStored(counts))} stored`)
    const poisonStored = poisons.reduce((n, p) => n + (counts[p.endpoint] ?? 0), 0)
    const tally = tallies.reduce(addTally, { ...run.tally })
    return { tally, recoverMs: run.recoverMs, stored: loadStored(counts) + poisonStored, notes }
  })

function addTally(a: PushTally, b: PushTally): PushTally {
  return {
    acked: a.acked + b.acked,
    refused: a.refused + b.refused,
    busy: a.busy + b.busy,
    unreachable: a.unreachable + b.unreachable,
  }
}

function skipped(why: string): Omit<Outcome, 'name'> {
  return { tally: emptyTally(), stored: 0, recoverMs: null, notes: [`skipped: ${why}`] }
}

const fmt = (n: number) => n.toLocaleString('en-US')

function table(outcomes: Outcome[]): string {
  const rows = outcomes.map((o) => {
    const t = o.tally
    const recover =
      o.recoverMs === null ? `not within ${RECOVER_TIMEOUT_MS / 1000}` : (o.recoverMs / 1000).toFixed(1)
    return `| ${o.name} | ${fmt(t.acked)} | ${fmt(o.stored)} | **${fmt(t.acked - o.stored)}** | ${fmt(t.busy)} / ${fmt(t.unreachable)} | ${fmt(t.refused)} | ${recover} | ${o.notes.join('; ')} |`
  })
  return [
    '| case | acknowledged (2xx) | stored | lost | pushes retried (503 / no answer) | refused (4xx) | recover s | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
  ].join('\n')
}

const cases = { killCollector, storageUnavailable, natsStopped, killAllInOne, fullDisk, poison }
const chosen = args.only ? args.only.split(',') : Object.keys(cases)
const started = Date.now()
const outcomes: Outcome[] = []
for (const name of chosen) {
  const run = cases[name as keyof typeof cases]
  if (!run) throw new Error(`no case ${name}; cases: ${Object.keys(cases).join(', ')}`)
  outcomes.push(await run())
  console.error(JSON.stringify(outcomes.at(-1)))
}
console.log(
  `\n${quick ? 'quick run' : 'full run'}: ${PUSHERS} pushers × 1,000 points every ${INTERVAL_MS} ms, ` +
    `${((Date.now() - started) / 60_000).toFixed(1)} min\n`,
)
console.log(table(outcomes))
process.exit(outcomes.some((o) => o.tally.acked > o.stored) ? 1 : 0)
