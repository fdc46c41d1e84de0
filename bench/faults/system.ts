import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { rm, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { COLLECTOR_CONSUMER, METRICS_STREAM } from '@peregrine/common'
import { waitFor } from '@peregrine/common/testing'
import { type ConnectionOptions, connect } from 'nats'

const ROOT = join(import.meta.dirname, '..', '..')

/** One Peregrine process (`peregrine <command>`), its output in a log file for post-mortems. */
export interface Service {
  child: ChildProcess
  exited: Promise<number | null>
  logFile: string
}

/** Every process, mount and folder this run made, so that any exit path can undo them. */
const started = new Set<ChildProcess>()
const mounts = new Set<string>()
const folders = new Set<string>()

/** Has cleanUpAll remove `path` too (removing it earlier is fine). */
export function removeAtExit(path: string): void {
  folders.add(path)
}

export function startService(
  command: 'agent' | 'collector' | 'judge' | 'alarm' | 'all',
  env: NodeJS.ProcessEnv,
  logFile: string,
) {
  return startProgram(
    process.execPath,
    ['--import', 'tsx', 'cli/src/main.ts', command],
    { LOG_LEVEL: 'warn', ...env },
    logFile,
  )
}

/**
 * Any program (a Peregrine service, Prometheus…) as a child this run cleans up, output in
 * `logFile`; with `ipc`, a Node child to talk to by messages.
 */
export function startProgram(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  o: { ipc?: boolean } = {},
) {
  const out = openSync(logFile, 'a')
  const child = spawn(file, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: o.ipc ? ['ignore', out, out, 'ipc'] : ['ignore', out, out],
  })
  closeSync(out)
  started.add(child)
  const exited = new Promise<number | null>((resolve) => {
    const gone = (code: number | null) => {
      started.delete(child)
      resolve(code)
    }
    child.once('exit', gone)
    // A program that cannot be started (not installed) reports this instead of exiting.
    child.once('error', () => gone(null))
  })
  return { child, exited, logFile } satisfies Service
}

/** SIGTERM (a clean stop that flushes), then SIGKILL if it takes longer than `graceMs`. */
export async function stopService(s: Service, graceMs = 30_000): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return
  s.child.kill('SIGTERM')
  const timer = setTimeout(() => s.child.kill('SIGKILL'), graceMs)
  await s.exited
  clearTimeout(timer)
}

export async function killService(s: Service): Promise<void> {
  s.child.kill('SIGKILL')
  await s.exited
}

/** Kills what is still running, unmounts and removes what is left: the last resort of any exit. */
export function cleanUpAll(): void {
  for (const child of started) child.kill('SIGKILL')
  for (const path of mounts) unmount(path)
  for (const path of folders) rmSync(path, { recursive: true, force: true })
}

/** Kills the process whose id `pidFile` holds (JSON `{pid}`), if it still runs: a nats-server orphan. */
export function killByPidFile(pidFile: string): boolean {
  let pid: number
  try {
    pid = (JSON.parse(readFileSync(pidFile, 'utf8')) as { pid: number }).pid
    process.kill(pid, 0)
  } catch {
    return false
  }
  process.kill(pid, 'SIGKILL')
  return true
}

export async function httpOk(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok
  } catch {
    return false
  }
}

/** A metric from Prometheus text, summed over its labels; undefined while the process does not answer. */
export async function metricValue(metricsUrl: string, name: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) })).text()
    const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))]
    return values.length ? values.reduce((n, m) => n + Number(m[1]), 0) : undefined
  } catch {
    return undefined
  }
}

const insertedTotal = (metricsUrl: string) =>
  metricValue(metricsUrl, 'peregrine_collector_points_inserted_total')

/** Lines of a log that mention `text`: evidence that a fault took effect. */
export function logMentions(logFile: string, text: string): number {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes(text)).length
}

/**
 * Milliseconds from `since` until every health URL answers 200 and the collector's inserted
 * count has grown past what it was at `since` (storing again); null if not within `timeoutMs`.
 * A restarted collector counts from 0 again, which the baseline follows.
 */
export async function timeToRecover(o: {
  since: number
  health: string[]
  metrics: string
  timeoutMs: number
}): Promise<number | null> {
  let baseline = (await insertedTotal(o.metrics)) ?? 0
  let healthyAt: number | undefined
  let storingAt: number | undefined
  while (performance.now() - o.since < o.timeoutMs) {
    const [healthy, inserted] = await Promise.all([
      Promise.all(o.health.map(httpOk)).then((r) => r.every(Boolean)),
      insertedTotal(o.metrics),
    ])
    if (healthy) healthyAt ??= performance.now()
    if (inserted !== undefined && inserted < baseline) baseline = 0
    if (inserted !== undefined && inserted > baseline) storingAt ??= performance.now()
    if (healthyAt !== undefined && storingAt !== undefined) return Math.max(healthyAt, storingAt) - o.since
    await sleep(200)
  }
  return null
}

/**
 * Waits until nothing is left on the way to storage: the agent's spool is empty and the
 * collector's consumer has no message pending or unacknowledged (it acknowledges after the insert).
 * `ok` is false on timeout, with what was still pending in `left`; `redelivered` counts the
 * messages JetStream had to deliver more than once (to a collector that did not acknowledge them).
 */
export async function waitDrained(o: { nats: ConnectionOptions; agentHealth: string; timeoutMs: number }) {
  const nc = await connect({ ...o.nats, maxReconnectAttempts: -1 })
  const jsm = await nc.jetstreamManager()
  let left = ''
  let redelivered = 0
  const check = async () => {
    const c = await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)
    // Each message is delivered once unless redelivered: deliveries beyond the last stream sequence.
    redelivered = c.delivered.consumer_seq - c.delivered.stream_seq
    const agent = (await (await fetch(o.agentHealth)).json()) as { spooledBatches?: number }
    left = `stream pending ${c.num_pending}, unacked ${c.num_ack_pending}, agent spool ${agent.spooledBatches}`
    return c.num_pending === 0 && c.num_ack_pending === 0 && agent.spooledBatches === 0
  }
  const ok = await waitFor(check, o.timeoutMs, 'drain').then(
    () => true,
    () => false,
  )
  await nc.close()
  return { ok, left, redelivered }
}

/**
 * Resolves once the collector holds fetched, unacknowledged messages (it acknowledges each batch
 * once stored, so it holds some only part of the time), with how many: the moment a crash of
 * the collector costs the most.
 */
export async function whenCollectorHolds(nats: ConnectionOptions, timeoutMs = 20_000): Promise<number> {
  const nc = await connect(nats)
  try {
    const jsm = await nc.jetstreamManager()
    const held = async () => (await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)).num_ack_pending
    return await waitFor(held, timeoutMs, 'the collector to hold messages')
  } finally {
    await nc.close()
  }
}

/** Points stored in an embedded data folder, per endpoint (the folder must not be open elsewhere). */
export async function countStored(clickhouseDir: string): Promise<Record<string, number>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'count.ts'), clickhouseDir],
    { cwd: ROOT },
  )
  return JSON.parse(stdout) as Record<string, number>
}

/** A tmpfs of `megabytes` at `path` (root only): a small volume whose space the benchmark controls. */
export function mountTmpfs(path: string, megabytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', path])
  mounts.add(path)
}

export function unmount(path: string): void {
  // Lazy: a process killed a moment ago may still hold files there.
  execFileSync('umount', ['-l', path])
  mounts.delete(path)
}

/** Takes all but `leaveBytes` of the free space of the volume holding `dir`; returns the filler to delete. */
export async function fillVolume(dir: string, leaveBytes: number): Promise<string> {
  const s = await statfs(dir)
  const filler = join(dir, 'filler')
  const bytes = s.bavail * s.bsize - leaveBytes
  if (bytes > 0) execFileSync('fallocate', ['-l', String(bytes), filler])
  return filler
}

export const freeVolume = (filler: string) => rm(filler, { force: true })
