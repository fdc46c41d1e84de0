import type { Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import {
  allFinite,
  frozenTags,
  lineEnd,
  parseInteger,
  parseUints,
  type ReadText,
  readText,
  round2,
  skipBlanks,
} from './util.ts'

/** /proc/net/dev columns after "iface:": 8 receive, then 8 transmit. */
const COLUMNS = 16

/** Metric per /proc/net/dev column, all COUNTERs as Open-Falcon's agent names them. */
const NAMES = [
  'net.if.in.bytes',
  'net.if.in.packets',
  'net.if.in.errors',
  'net.if.in.dropped',
  'net.if.in.fifo.errs',
  'net.if.in.frame.errs',
  'net.if.in.compressed',
  'net.if.in.multicast',
  'net.if.out.bytes',
  'net.if.out.packets',
  'net.if.out.errors',
  'net.if.out.dropped',
  'net.if.out.fifo.errs',
  'net.if.out.collisions',
  'net.if.out.carrier.errs',
  'net.if.out.compressed',
] as const

const IN_BYTES = 0
const IN_PACKETS = 1
const IN_ERRORS = 2
const IN_DROPPED = 3
const OUT_BYTES = 8
const OUT_PACKETS = 9
const OUT_ERRORS = 10
const OUT_DROPPED = 11

/** Link speed is re-read this often (it changes only when the link renegotiates). */
const SPEED_REFRESH_MS = 60_000

interface IfaceState {
  name: string
  tags: Tags
  curIn: number
  curOut: number
  prevIn: number
  prevOut: number
  prevAt: number
  hasPrev: boolean
  /** Link speed in bits/s; 0 when unknown (virtual interfaces, link down). */
  speedBits: number
  speedAt: number
  seen: number
}

export interface NetworkSourceOptions {
  read?: ReadText
  /** Monotonic milliseconds; the interval between readings turns byte deltas into link usage. */
  now?: () => number
  /** Report only interfaces whose name starts with one of these (Open-Falcon's collector.ifacePrefix); default all but lo. */
  ifacePrefixes?: readonly string[]
}

/**
 * Per-interface traffic from /proc/net/dev (every interface but lo), tag iface=eth0: the
 * net.if.{in,out,total}.* counters of Open-Falcon's agent, and, where /sys/class/net/<iface>/speed
 * gives the link speed, net.if.speed.bits and net.if.{in,out}.percent over the interval.
 */
export class NetworkSource implements MetricSource {
  readonly name = 'network'
  private readonly read: ReadText
  private readonly now: () => number
  private readonly prefixes: readonly string[] | undefined
  private readonly ifaces = new Map<string, IfaceState>()
  private readonly values = new Float64Array(COLUMNS)
  private cycle = 0

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: NetworkSourceOptions = {},
  ) {
    this.read = options.read ?? readText
    this.now = options.now ?? (() => performance.now())
    this.prefixes = options.ifacePrefixes
  }

  async collect(emit: Emit): Promise<void> {
    const text = await this.read(`${this.paths.proc}/net/dev`)
    if (text === null) return
    const at = this.now()
    const cycle = ++this.cycle
    const v = this.values
    let afterSpeed: IfaceState[] | undefined

    let start = 0
    while (start < text.length) {
      const end = lineEnd(text, start)
      const lineStart = skipBlanks(text, start, end)
      start = end + 1
      // "  eth0: 419988231 10160 0 …" (old kernels write "eth0:419988231"); the two header lines have no colon before a '|'.
      const colon = text.indexOf(':', lineStart)
      if (colon <= lineStart || colon >= end) continue
      const pipe = text.indexOf('|', lineStart)
      if (pipe >= 0 && pipe < colon) continue
      const name = text.slice(lineStart, colon)
      if (name === 'lo' || !this.wanted(name)) continue
      const n = parseUints(text, colon + 1, end, v)
      if (n < COLUMNS || !allFinite(v, COLUMNS)) continue

      let state = this.ifaces.get(name)
      if (state === undefined) {
        state = {
          name,
          tags: frozenTags({ iface: name }),
          curIn: 0,
          curOut: 0,
          prevIn: 0,
          prevOut: 0,
          prevAt: 0,
          hasPrev: false,
          speedBits: 0,
          speedAt: Number.NEGATIVE_INFINITY,
          seen: cycle,
        }
        this.ifaces.set(name, state)
      }
      state.seen = cycle
      const tags = state.tags
      for (let k = 0; k < COLUMNS; k++) emit(NAMES[k]!, v[k]!, 'COUNTER', tags)
      const inBytes = v[IN_BYTES]!
      const outBytes = v[OUT_BYTES]!
      emit('net.if.total.bytes', inBytes + outBytes, 'COUNTER', tags)
      emit('net.if.total.packets', v[IN_PACKETS]! + v[OUT_PACKETS]!, 'COUNTER', tags)
      emit('net.if.total.errors', v[IN_ERRORS]! + v[OUT_ERRORS]!, 'COUNTER', tags)
      emit('net.if.total.dropped', v[IN_DROPPED]! + v[OUT_DROPPED]!, 'COUNTER', tags)
      emit('net.if.in.bits', inBytes * 8, 'COUNTER', tags)
      emit('net.if.out.bits', outBytes * 8, 'COUNTER', tags)
      emit('net.if.total.bits', (inBytes + outBytes) * 8, 'COUNTER', tags)

      state.curIn = inBytes
      state.curOut = outBytes
      if (at - state.speedAt >= SPEED_REFRESH_MS) {
        afterSpeed ??= []
        afterSpeed.push(state)
      } else this.usage(state, at, emit)
    }

    if (afterSpeed !== undefined) {
      // Interfaces whose speed is (re)read this cycle report their usage once it is known.
      await Promise.all(afterSpeed.map((state) => this.readSpeed(state, at)))
      for (const state of afterSpeed) this.usage(state, at, emit)
    }

    for (const [name, state] of this.ifaces) if (state.seen !== cycle) this.ifaces.delete(name)
  }

  private wanted(name: string): boolean {
    const p = this.prefixes
    if (p === undefined) return true
    for (const prefix of p) if (name.startsWith(prefix)) return true
    return false
  }

  private async readSpeed(state: IfaceState, at: number): Promise<void> {
    const text = await this.read(`${this.paths.sys}/class/net/${state.name}/speed`)
    let mbps: number | undefined
    if (text !== null) mbps = parseInteger(text, 0, lineEnd(text, 0))
    state.speedBits = mbps !== undefined && mbps > 0 ? mbps * 1_000_000 : 0
    state.speedAt = at
  }

  private usage(state: IfaceState, at: number, emit: Emit): void {
    const inBytes = state.curIn
    const outBytes = state.curOut
    const tags = state.tags
    const speed = state.speedBits
    if (speed > 0) {
      emit('net.if.speed.bits', speed, 'GAUGE', tags)
      const ms = at - state.prevAt
      const dIn = inBytes - state.prevIn
      const dOut = outBytes - state.prevOut
      if (state.hasPrev && ms > 0 && dIn >= 0 && dOut >= 0) {
        const bitsToPercent = (8 * 1000 * 100) / (ms * speed)
        emit('net.if.in.percent', round2(Math.min(100, dIn * bitsToPercent)), 'GAUGE', tags)
        emit('net.if.out.percent', round2(Math.min(100, dOut * bitsToPercent)), 'GAUGE', tags)
      }
    }
    state.prevIn = inBytes
    state.prevOut = outBytes
    state.prevAt = at
    state.hasPrev = true
  }
}
