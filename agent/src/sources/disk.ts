import { access } from 'node:fs/promises'
import type { Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import {
  allFinite,
  frozenTags,
  lineEnd,
  parseUints,
  type ReadText,
  readText,
  round2,
  skipBlanks,
  skipToken,
} from './util.ts'

/** The eleven statistics every kernel since 2.6 reports after major, minor and name (see RAW_NAMES). */
const STATS = 11
const READS = 0
const READ_SECTORS = 2
const MSEC_READ = 3
const WRITES = 4
const WRITE_SECTORS = 6
const MSEC_WRITE = 7
const IN_PROGRESS = 8
const MSEC_TOTAL = 9
const MSEC_WEIGHTED = 10

/** Raw counters, in /proc/diskstats order (ios_in_progress is a GAUGE). */
const RAW_NAMES = [
  'disk.io.read_requests',
  'disk.io.read_merged',
  'disk.io.read_sectors',
  'disk.io.msec_read',
  'disk.io.write_requests',
  'disk.io.write_merged',
  'disk.io.write_sectors',
  'disk.io.msec_write',
  'disk.io.ios_in_progress',
  'disk.io.msec_total',
  'disk.io.msec_weighted_total',
] as const

/** /proc/diskstats counts 512-byte sectors whatever the device's own sector size. */
const SECTOR_BYTES = 512

interface DiskState {
  /** False for partitions (and anything else /sys/block does not list): they are not reported. */
  report: boolean
  tags: Tags
  prev: Float64Array
  cur: Float64Array
  prevAt: number
  hasPrev: boolean
  seen: number
}

export interface DiskSourceOptions {
  read?: ReadText
  /** Monotonic milliseconds; the interval between readings turns deltas into rates. */
  now?: () => number
  /** Whether a path exists; default fs.access. */
  exists?: (path: string) => Promise<boolean>
}

/**
 * Block device I/O from /proc/diskstats, named as Open-Falcon's agent does: the raw counters
 * (disk.io.read_requests …) and iostat-style values over the interval since the previous reading
 * (disk.io.util, await, svctm, avgqu-sz, avgrq_sz, read/write bytes per second), tag device=sda.
 *
 * Reported devices are the whole disks /sys/block lists (sda, vda, nvme0n1, xvda, md0, dm-0 …),
 * not their partitions; ram and loop devices, and devices that never did any I/O (an empty zram,
 * a CD drive), are skipped. Without a readable /sys/block every device with I/O is reported.
 */
export class DiskSource implements MetricSource {
  readonly name = 'disk'
  private readonly read: ReadText
  private readonly now: () => number
  private readonly exists: (path: string) => Promise<boolean>
  private readonly devices = new Map<string, DiskState>()
  private cycle = 0

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: DiskSourceOptions = {},
  ) {
    this.read = options.read ?? readText
    this.now = options.now ?? (() => performance.now())
    this.exists = options.exists ?? pathExists
  }

  async collect(emit: Emit): Promise<void> {
    const text = await this.read(`${this.paths.proc}/diskstats`)
    if (text === null) return
    const at = this.now()
    const cycle = ++this.cycle
    let unknown: { name: string; line: [number, number] }[] | undefined

    let start = 0
    while (start < text.length) {
      const end = lineEnd(text, start)
      const lineStart = start
      start = end + 1
      // "   8       0 sda 26236 4720 …": skip major and minor, then the name.
      let i = skipToken(text, skipBlanks(text, lineStart, end), end)
      i = skipToken(text, skipBlanks(text, i, end), end)
      const nameStart = skipBlanks(text, i, end)
      const nameEnd = skipToken(text, nameStart, end)
      if (nameEnd === nameStart) continue
      if (text.startsWith('loop', nameStart) || text.startsWith('ram', nameStart)) continue
      const name = text.slice(nameStart, nameEnd)
      const state = this.devices.get(name)
      if (state === undefined) {
        unknown ??= []
        unknown.push({ name, line: [nameEnd, end] })
        continue
      }
      state.seen = cycle
      if (state.report) this.device(state, text, nameEnd, end, at, emit)
    }

    if (unknown !== undefined) {
      // First sight of these devices (the first cycle, or a hot-plugged disk): decide once per name.
      const sys = this.paths.sys
      const haveSysBlock = await this.exists(`${sys}/block`)
      const whole = await Promise.all(
        unknown.map((u) => (haveSysBlock ? this.exists(`${sys}/block/${u.name}`) : Promise.resolve(true))),
      )
      for (let k = 0; k < unknown.length; k++) {
        const u = unknown[k]!
        const state: DiskState = {
          report: whole[k]!,
          tags: frozenTags({ device: u.name }),
          prev: new Float64Array(STATS),
          cur: new Float64Array(STATS),
          prevAt: 0,
          hasPrev: false,
          seen: cycle,
        }
        this.devices.set(u.name, state)
        if (state.report) this.device(state, text, u.line[0], u.line[1], at, emit)
      }
    }

    for (const [name, state] of this.devices) if (state.seen !== cycle) this.devices.delete(name)
  }

  private device(state: DiskState, text: string, from: number, end: number, at: number, emit: Emit): void {
    const cur = state.cur
    const n = parseUints(text, from, end, cur)
    if (n < STATS || !allFinite(cur, STATS)) return
    if (cur[READS] === 0 && cur[WRITES] === 0) {
      state.hasPrev = false
      return
    }
    const tags = state.tags
    for (let k = 0; k < STATS; k++)
      emit(RAW_NAMES[k]!, cur[k]!, k === IN_PROGRESS ? 'GAUGE' : 'COUNTER', tags)

    if (state.hasPrev) derived(state.prev, cur, at - state.prevAt, tags, emit)
    state.cur = state.prev
    state.prev = cur
    state.prevAt = at
    state.hasPrev = true
  }
}

/** iostat -x over the interval; nothing when the interval is empty or a counter went back. */
function derived(prev: Float64Array, cur: Float64Array, ms: number, tags: Tags, emit: Emit): void {
  if (!(ms > 0)) return
  const d = (k: number) => cur[k]! - prev[k]!
  const reads = d(READS)
  const writes = d(WRITES)
  const rsec = d(READ_SECTORS)
  const wsec = d(WRITE_SECTORS)
  const rms = d(MSEC_READ)
  const wms = d(MSEC_WRITE)
  const busy = d(MSEC_TOTAL)
  const weighted = d(MSEC_WEIGHTED)
  if (reads < 0 || writes < 0 || rsec < 0 || wsec < 0 || rms < 0 || wms < 0 || busy < 0 || weighted < 0)
    return
  const ios = reads + writes
  const perSecond = 1000 / ms
  emit('disk.io.read_bytes', Math.round(rsec * SECTOR_BYTES * perSecond), 'GAUGE', tags)
  emit('disk.io.write_bytes', Math.round(wsec * SECTOR_BYTES * perSecond), 'GAUGE', tags)
  // Per-request averages are 0 for an interval without completed requests, as iostat shows them.
  emit('disk.io.avgrq_sz', ios > 0 ? round2((rsec + wsec) / ios) : 0, 'GAUGE', tags)
  emit('disk.io.avgqu-sz', round2(weighted / ms), 'GAUGE', tags)
  emit('disk.io.await', ios > 0 ? round2((rms + wms) / ios) : 0, 'GAUGE', tags)
  emit('disk.io.svctm', ios > 0 ? round2(busy / ios) : 0, 'GAUGE', tags)
  emit('disk.io.util', round2(Math.min(100, (busy * 100) / ms)), 'GAUGE', tags)
}

async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
