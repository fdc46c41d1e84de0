// VictoriaMetrics for bench:peers: Debian's package installed when missing, one server on a free
// loopback port in a folder of its own, fed the benchmark's data set as Prometheus text.
import { execFileSync } from 'node:child_process'
import type { Dirent } from 'node:fs'
import { mkdir, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { waitFor } from '@peregrine/common/testing'
import { freePort } from '../../cli/test/allinone.ts'
import { cycles, type Shape } from '../data.ts'
import { httpOk, metricValue, type Service, startProgram, stopService } from '../faults/system.ts'

const PACKAGE = 'victoria-metrics'

const installedVersion = () => {
  try {
    // `name<TAB>version`; the version is empty for a package removed but not purged.
    return execFileSync('dpkg-query', ['-W', PACKAGE], { encoding: 'utf8' }).trim().split('\t')[1] ?? ''
  } catch {
    return ''
  }
}

/**
 * Installs Debian's package unless it is there, and returns its version (the binary built by
 * Debian reports none itself). On a host with systemd the package starts a server of its own
 * on :8428, which would share the cores with the one measured: one started by this install is
 * stopped again.
 */
export function ensureVictoriaMetrics(say: (text: string) => void): string {
  const before = installedVersion()
  if (before) return before
  say(`installing ${PACKAGE} (apt-get)`)
  const apt = (...args: string[]) =>
    execFileSync('apt-get', args, {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    })
  try {
    apt('install', '-y', '--no-install-recommends', PACKAGE)
  } catch {
    // A machine whose package lists were never fetched knows no such package yet.
    apt('update')
    apt('install', '-y', '--no-install-recommends', PACKAGE)
  }
  try {
    execFileSync('systemctl', ['stop', PACKAGE], { stdio: 'ignore' })
  } catch {
    // No systemd (a container): the package could not start its service.
  }
  return installedVersion()
}

export interface Victoria {
  url: string
  pid: number
  dataDir: string
  service: Service
  stop(): Promise<void>
}

export async function startVictoriaMetrics(dir: string): Promise<Victoria> {
  await mkdir(dir, { recursive: true })
  const port = await freePort()
  const dataDir = join(dir, 'data')
  const service = startProgram(
    'victoria-metrics',
    [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${dataDir}`,
      // The queries are timed over and over: answers from its response cache would time the
      // cache, not the storage (Peregrine keeps no such cache). It also leaves start and end
      // unaligned to the step, as asked.
      '-search.disableCache',
      '-loggerLevel=WARN',
    ],
    {},
    join(dir, 'victoria-metrics.log'),
  )
  const url = `http://127.0.0.1:${port}`
  await waitFor(() => httpOk(`${url}/health`), 30_000, 'victoria-metrics to answer')
  return { url, pid: service.child.pid!, dataDir, service, stop: () => stopService(service, 30_000) }
}

/** A Prometheus metric name for a Peregrine one: dots (and anything else not allowed) become `_`. */
export const promName = (metric: string) => metric.replace(/[^a-zA-Z0-9_:]/g, '_')

/** The labels of a series: its endpoint and its tags (`k=v,…`, as canonical as Peregrine keeps them). */
export function promLabels(endpoint: string, tags: string): string {
  const pairs = [`endpoint="${endpoint}"`]
  for (const kv of tags ? tags.split(',') : []) {
    const eq = kv.indexOf('=')
    pairs.push(`${kv.slice(0, eq)}="${kv.slice(eq + 1)}"`)
  }
  return pairs.join(',')
}

/**
 * The data set as Prometheus text with timestamps (milliseconds), `lines` lines per body, built
 * before anything is timed (as the publisher encodes its batches first).
 */
export function prometheusBodies(shape: Shape, lines: number): Buffer[] {
  const bodies: Buffer[] = []
  const prefixes: string[][] = []
  let body = ''
  let n = 0
  for (const { ts, h, host, values } of cycles(shape)) {
    prefixes[h] ??= host.defs.map((d) => `${promName(d.metric)}{${promLabels(d.endpoint, d.tags)}} `)
    const p = prefixes[h]!
    const at = ` ${ts}000\n`
    for (let i = 0; i < values.length; i++) {
      body += p[i]! + values[i]! + at
      if (++n === lines) {
        bodies.push(Buffer.from(body))
        body = ''
        n = 0
      }
    }
  }
  if (body) bodies.push(Buffer.from(body))
  return bodies
}

/** POSTs every body to /api/v1/import/prometheus, `parallel` at a time. */
export async function importBodies(url: string, bodies: Buffer[], parallel: number): Promise<void> {
  let next = 0
  const sender = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!
      const r = await fetch(`${url}/api/v1/import/prometheus`, { method: 'POST', body })
      const text = await r.text()
      if (!r.ok) throw new Error(`import answered ${r.status}: ${text.slice(0, 200)}`)
    }
  }
  await Promise.all(Array.from({ length: parallel }, sender))
}

/** An instant query's single number (e.g. a sum), NaN when there is no result. */
export async function instant(url: string, query: string, time: number): Promise<number> {
  const r = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query, time: String(time) })}`)
  const body = (await r.json()) as { data?: { result: { value: [number, string] }[] } }
  if (!r.ok) throw new Error(`query ${query} answered ${r.status}: ${JSON.stringify(body)}`)
  return Number(body.data?.result[0]?.value[1] ?? Number.NaN)
}

/** Makes what it holds in memory searchable and written to parts. */
export async function forceFlush(url: string): Promise<void> {
  const r = await fetch(`${url}/internal/force_flush`)
  await r.text()
  if (!r.ok) throw new Error(`force_flush answered ${r.status}`)
}

/**
 * Merges the monthly partitions `YYYY_MM` of the data into their final parts and waits until it
 * is done (the request only starts it), as far as OPTIMIZE … FINAL takes Peregrine's tables.
 */
export async function forceMerge(url: string, partitions: string[]): Promise<void> {
  await forceFlush(url)
  for (const p of partitions) {
    const r = await fetch(`${url}/internal/force_merge?partition_prefix=${p}`)
    await r.text()
    if (!r.ok) throw new Error(`force_merge answered ${r.status}`)
  }
  // The merge may not have registered yet when the gauge is first read.
  await sleep(500)
  await waitFor(
    async () => (await metricValue(`${url}/metrics`, 'vm_active_force_merges')) === 0,
    600_000,
    'victoria-metrics to finish merging',
  )
}

/** Bytes of files under `dir` (all, when `names` is not given), 0 when it does not exist. */
export async function fileBytes(dir: string, names?: Set<string>): Promise<number> {
  let total = 0
  let entries: Dirent[]
  try {
    entries = await readdir(dir, { withFileTypes: true })
  } catch {
    return 0
  }
  for (const e of entries) {
    const path = join(dir, e.name)
    if (e.isDirectory()) total += await fileBytes(path, names)
    else if (e.isFile() && (!names || names.has(e.name))) total += (await stat(path)).size
  }
  return total
}
