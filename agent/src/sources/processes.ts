import { readdir } from 'node:fs/promises'
import { type AgentChecks, PROC_NUM_METRIC, type Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import { frozenTags, type ReadText, readText } from './util.ts'

type ProcessCheck = AgentChecks['processes'][number]

/** A process as the checks see it: its name (comm) and its command line with NULs as spaces. */
export interface ProcessInfo {
  /** /proc/<pid>/comm without its newline; null when it was not read. */
  comm: string | null
  /** /proc/<pid>/cmdline, arguments joined by spaces; null when it was not read. */
  cmdline: string | null
}

/** /proc/<pid>/cmdline separates (and ends) the arguments with NUL: they are joined by spaces. */
export function cmdlineText(raw: string): string {
  let end = raw.length
  while (end > 0 && raw.charCodeAt(end - 1) === 0) end--
  return raw.slice(0, end).replaceAll('\0', ' ')
}

/**
 * Open-Falcon's proc.num match: the name equals comm and the command line contains cmdline; a
 * check with both needs both. A check with neither matches nothing.
 */
export function matchesProcess(check: ProcessCheck, p: ProcessInfo): boolean {
  if (check.name === undefined && check.cmdline === undefined) return false
  if (check.name !== undefined && p.comm !== check.name) return false
  if (check.cmdline !== undefined && (p.cmdline === null || !p.cmdline.includes(check.cmdline))) return false
  return true
}

export interface ProcessCountSourceOptions {
  read?: ReadText
  /** Processes read at once (default 32). */
  concurrency?: number
}

/**
 * `proc.num` (tags name=… and/or cmdline=…, GAUGE): how many processes match each process check
 * of the current checks, from /proc/<pid>/comm and /proc/<pid>/cmdline. Reads nothing when there
 * is no process to check, and only the files the checks need (comm for names, cmdline for command
 * lines). Processes that end while they are read are not counted. Sends nothing when the process
 * list cannot be read.
 */
export class ProcessCountSource implements MetricSource {
  readonly name = 'proc.num'
  private readonly read: ReadText
  private readonly concurrency: number

  /** `checks` is asked at every collect: the agent's current checks. */
  constructor(
    private readonly paths: HostPaths,
    private readonly checks: () => AgentChecks,
    options: ProcessCountSourceOptions = {},
  ) {
    this.read = options.read ?? readText
    this.concurrency = Math.max(1, options.concurrency ?? 32)
  }

  async collect(emit: Emit): Promise<void> {
    const checks = this.checks().processes.filter((c) => c.name !== undefined || c.cmdline !== undefined)
    if (checks.length === 0) return
    const needComm = checks.some((c) => c.name !== undefined)
    const needCmdline = checks.some((c) => c.cmdline !== undefined)
    const proc = this.paths.proc
    let names: string[]
    try {
      names = await readdir(proc)
    } catch {
      return
    }
    const pids = names.filter((n) => /^\d+$/.test(n))
    const counts = new Array<number>(checks.length).fill(0)
    const readOne = async (pid: string) => {
      const [comm, cmdline] = await Promise.all([
        needComm ? this.read(`${proc}/${pid}/comm`) : null,
        needCmdline ? this.read(`${proc}/${pid}/cmdline`) : null,
      ])
      if ((needComm && comm === null) || (needCmdline && cmdline === null)) return // gone meanwhile
      const p: ProcessInfo = {
        comm: comm === null ? null : comm.endsWith('\n') ? comm.slice(0, -1) : comm,
        cmdline: cmdline === null ? null : cmdlineText(cmdline),
      }
      for (let i = 0; i < checks.length; i++) if (matchesProcess(checks[i]!, p)) counts[i]!++
    }
    let next = 0
    const worker = async () => {
      while (next < pids.length) await readOne(pids[next++]!)
    }
    await Promise.all(Array.from({ length: Math.min(this.concurrency, pids.length) }, worker))
    for (let i = 0; i < checks.length; i++) emit(PROC_NUM_METRIC, counts[i]!, 'GAUGE', tagsOf(checks[i]!))
  }
}

function tagsOf(check: ProcessCheck): Tags {
  const tags: Tags = {}
  if (check.name !== undefined) tags.name = check.name
  if (check.cmdline !== undefined) tags.cmdline = check.cmdline
  return frozenTags(tags)
}
