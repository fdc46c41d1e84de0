import type { Emit, HostPaths, MetricSource } from './source.ts'
import { lineEnd, parseInteger, type ReadText, readText, skipBlanks, skipToken } from './util.ts'

export interface ProcessSourceOptions {
  read?: ReadText
}

/**
 * Kernel-wide task counts: proc.total (all tasks, threads included, from /proc/loadavg's
 * "running/total" field), proc.running and proc.blocked (/proc/stat procs_running, procs_blocked)
 * and proc.forks (/proc/stat "processes", tasks created since boot).
 */
export class ProcessSource implements MetricSource {
  readonly name = 'process'
  private readonly read: ReadText

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: ProcessSourceOptions = {},
  ) {
    this.read = options.read ?? readText
  }

  async collect(emit: Emit): Promise<void> {
    const proc = this.paths.proc
    const [loadavg, stat] = await Promise.all([this.read(`${proc}/loadavg`), this.read(`${proc}/stat`)])

    let running: number | undefined
    let total: number | undefined
    if (loadavg !== null) {
      // "0.29 0.26 0.11 1/82 3968": the fourth field is runnable/total tasks.
      const end = lineEnd(loadavg, 0)
      let i = 0
      for (let k = 0; k < 3; k++) i = skipToken(loadavg, skipBlanks(loadavg, i, end), end)
      i = skipBlanks(loadavg, i, end)
      const fieldEnd = skipToken(loadavg, i, end)
      const slash = loadavg.indexOf('/', i)
      if (slash > i && slash < fieldEnd) {
        running = parseInteger(loadavg, i, slash)
        total = parseInteger(loadavg, slash + 1, fieldEnd)
      }
    }

    let blocked: number | undefined
    let forks: number | undefined
    if (stat !== null) {
      let start = 0
      while (start < stat.length) {
        const end = lineEnd(stat, start)
        // The cpu and intr lines come first and are the long ones: skip them on their first letters.
        const c = stat.charCodeAt(start)
        if (c === 112 /* p */) {
          if (stat.startsWith('procs_running ', start)) {
            const v = parseInteger(stat, start + 14, end)
            if (v !== undefined) running = v
          } else if (stat.startsWith('procs_blocked ', start)) blocked = parseInteger(stat, start + 14, end)
          else if (stat.startsWith('processes ', start)) forks = parseInteger(stat, start + 10, end)
        }
        start = end + 1
      }
    }

    if (total !== undefined) emit('proc.total', total, 'GAUGE')
    if (running !== undefined) emit('proc.running', running, 'GAUGE')
    if (blocked !== undefined) emit('proc.blocked', blocked, 'GAUGE')
    if (forks !== undefined) emit('proc.forks', forks, 'COUNTER')
  }
}
