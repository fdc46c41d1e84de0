import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'

export interface ProcessInfo {
  pid: number
  /** Parent process id: 1 (or a subreaper) once the parent is gone. */
  ppid: number
  /** The command line, arguments separated by spaces; '' for a zombie. */
  args: string
}

/**
 * What runs as `pid`, or undefined when nothing does. Reads /proc where there is one; elsewhere
 * (macOS) asks ps. Used at start-up to tell a process Peregrine left behind, or one using its
 * data, from an unrelated one that got its id since.
 */
export function processInfo(pid: number): ProcessInfo | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (!existsSync('/proc/self/stat')) return psInfo(pid)
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim()
    // The command name in parentheses may hold spaces and parentheses: fields follow the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    return { pid, ppid, args }
  } catch {
    return undefined
  }
}

function psInfo(pid: number): ProcessInfo | undefined {
  try {
    const out = execFileSync('ps', ['-o', 'ppid=,args=', '-p', String(pid)], { encoding: 'utf8' })
    const m = /^\s*(\d+)\s+(.*)$/.exec(out.trim())
    return m ? { pid, ppid: Number(m[1]), args: m[2]! } : undefined
  } catch {
    return undefined // ps exits 1 when there is no such process
  }
}

/** "process 123 (node cli/src/main.ts all)", kept to one line. */
export function describeProcess(p: ProcessInfo): string {
  const args = p.args.length > 120 ? `${p.args.slice(0, 117)}...` : p.args
  return `process ${p.pid} (${args})`
}
