// Readings the benchmarks take of processes they did not write (nats-server, other databases)
// as of the ones they did: from /proc, so that every process is measured the same way.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

/** /proc/<pid>/stat counts CPU time in clock ticks. */
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }))

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  // The command name may hold spaces: fields are counted after its closing parenthesis.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** A memory field of /proc/<pid>/status in bytes: VmRSS (all resident), RssAnon (private)… */
export function statusBytes(pid: number, field: 'VmRSS' | 'RssAnon' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) * 1024
}

/** The process id of the nats-server that startNatsServer runs on `natsDataDir` (its pid file). */
export function natsServerPid(natsDataDir: string): number {
  return (JSON.parse(readFileSync(join(natsDataDir, 'nats-server.pid'), 'utf8')) as { pid: number }).pid
}

/** Nearest-rank percentile; NaN values are left out, NaN if none is left. */
export function percentile(values: number[], p: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}
