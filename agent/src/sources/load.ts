import type { Emit, HostPaths, MetricSource } from './source.ts'
import { lineEnd, parseInteger, type ReadText, readText, skipBlanks, skipToken, splitFields } from './util.ts'

export interface LoadSourceOptions {
  read?: ReadText
}

/**
 * Load averages from /proc/loadavg, and the kernel's file-handle and pid limits from
 * /proc/sys/fs/file-nr, /proc/sys/fs/file-max and /proc/sys/kernel/pid_max (Open-Falcon's
 * "kernel" family).
 */
export class LoadSource implements MetricSource {
  readonly name = 'load'
  private readonly read: ReadText
  private readonly fields: string[] = []

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: LoadSourceOptions = {},
  ) {
    this.read = options.read ?? readText
  }

  async collect(emit: Emit): Promise<void> {
    const proc = this.paths.proc
    const [loadavg, fileNr, fileMax, pidMax] = await Promise.all([
      this.read(`${proc}/loadavg`),
      this.read(`${proc}/sys/fs/file-nr`),
      this.read(`${proc}/sys/fs/file-max`),
      this.read(`${proc}/sys/kernel/pid_max`),
    ])

    if (loadavg !== null) {
      const f = this.fields
      const n = splitFields(loadavg, 0, lineEnd(loadavg, 0), f)
      if (n >= 3) {
        const l1 = Number(f[0])
        const l5 = Number(f[1])
        const l15 = Number(f[2])
        if (Number.isFinite(l1) && Number.isFinite(l5) && Number.isFinite(l15)) {
          emit('load.1min', l1, 'GAUGE')
          emit('load.5min', l5, 'GAUGE')
          emit('load.15min', l15, 'GAUGE')
        }
      }
    }

    const maxFiles = firstInteger(fileMax)
    const allocated = firstInteger(fileNr)
    if (maxFiles !== undefined) emit('kernel.maxfiles', maxFiles, 'GAUGE')
    if (allocated !== undefined) emit('kernel.files.allocated', allocated, 'GAUGE')
    if (maxFiles !== undefined && allocated !== undefined)
      emit('kernel.files.left', Math.max(0, maxFiles - allocated), 'GAUGE')
    const maxProc = firstInteger(pidMax)
    if (maxProc !== undefined) emit('kernel.maxproc', maxProc, 'GAUGE')
  }
}

/** The first blank-separated integer of a one-line /proc/sys file. */
function firstInteger(text: string | null): number | undefined {
  if (text === null) return undefined
  const end = lineEnd(text, 0)
  const s = skipBlanks(text, 0, end)
  const v = parseInteger(text, s, skipToken(text, s, end))
  return v !== undefined && v >= 0 ? v : undefined
}
