import type { Emit, HostPaths, MetricSource } from './source.ts'
import { lineEnd, parseInteger, percent, type ReadText, readText, skipBlanks, skipToken } from './util.ts'

export interface MemorySourceOptions {
  read?: ReadText
}

/**
 * Memory and swap from /proc/meminfo, in bytes, as Open-Falcon's agent names them. Free memory is
 * MemAvailable (the kernel's estimate of what can be allocated without swapping) when the kernel
 * reports it (3.14+), else MemFree + Buffers + Cached as Open-Falcon computes it.
 */
export class MemorySource implements MetricSource {
  readonly name = 'memory'
  private readonly read: ReadText

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: MemorySourceOptions = {},
  ) {
    this.read = options.read ?? readText
  }

  async collect(emit: Emit): Promise<void> {
    const text = await this.read(`${this.paths.proc}/meminfo`)
    if (text === null) return
    let memTotal: number | undefined
    let memFree = 0
    let memAvailable: number | undefined
    let buffers = 0
    let cached = 0
    let swapTotal: number | undefined
    let swapFree: number | undefined

    let start = 0
    while (start < text.length) {
      const end = lineEnd(text, start)
      const colon = text.indexOf(':', start)
      if (colon > start && colon < end) {
        const vStart = skipBlanks(text, colon + 1, end)
        const kb = parseInteger(text, vStart, skipToken(text, vStart, end))
        if (kb !== undefined && kb >= 0) {
          const bytes = kb * 1024
          switch (text.slice(start, colon)) {
            case 'MemTotal':
              memTotal = bytes
              break
            case 'MemFree':
              memFree = bytes
              break
            case 'MemAvailable':
              memAvailable = bytes
              break
            case 'Buffers':
              buffers = bytes
              break
            case 'Cached':
              cached = bytes
              break
            case 'SwapTotal':
              swapTotal = bytes
              break
            case 'SwapFree':
              swapFree = bytes
              break
          }
        }
      }
      start = end + 1
    }

    if (memTotal !== undefined) emitUsage(emit, 'mem', memTotal, memAvailable ?? memFree + buffers + cached)
    if (swapTotal !== undefined && swapFree !== undefined) emitUsage(emit, 'swap', swapTotal, swapFree)
  }
}

/** mem.<kind>total, mem.<kind>used, mem.<kind>free and their percentages, as Open-Falcon names them. */
function emitUsage(emit: Emit, kind: 'mem' | 'swap', total: number, available: number): void {
  const free = Math.min(total, available)
  const used = total - free
  emit(`mem.${kind}total`, total, 'GAUGE')
  emit(`mem.${kind}used`, used, 'GAUGE')
  emit(`mem.${kind}free`, free, 'GAUGE')
  const usedPct = percent(used, total)
  if (usedPct !== undefined) emit(`mem.${kind}used.percent`, usedPct, 'GAUGE')
  const freePct = percent(free, total)
  if (freePct !== undefined) emit(`mem.${kind}free.percent`, freePct, 'GAUGE')
}
