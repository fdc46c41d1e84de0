import type { Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import { frozenTags, lineEnd, parseInteger, parseUints, type ReadText, readText, round2 } from './util.ts'

/** /proc/stat cpu columns we use: user nice system idle iowait irq softirq steal guest. */
const COLUMNS = 9
/** The first eight make up the time spent; guest time is already counted in user. */
const TIME_COLUMNS = 8
const IDLE = 3

/** Percentage metrics, in /proc/stat column order (cpu.idle and cpu.busy are emitted first). */
const NAMES = [
  'cpu.user',
  'cpu.nice',
  'cpu.system',
  'cpu.idle',
  'cpu.iowait',
  'cpu.irq',
  'cpu.softirq',
  'cpu.steal',
  'cpu.guest',
] as const

interface CpuState {
  prev: Float64Array
  cur: Float64Array
  hasPrev: boolean
  tags: Tags | undefined
}

export interface CpuSourceOptions {
  read?: ReadText
}

/**
 * CPU time shares from /proc/stat over the interval since the previous reading, for all CPUs
 * (untagged) and per core (core=N), as Open-Falcon's agent names them; plus cpu.switches (ctxt).
 */
export class CpuSource implements MetricSource {
  readonly name = 'cpu'
  private readonly read: ReadText
  private readonly total: CpuState = newState(undefined)
  /** Indexed by core number. */
  private readonly cores: (CpuState | undefined)[] = []
  private readonly delta = new Float64Array(COLUMNS)

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: CpuSourceOptions = {},
  ) {
    this.read = options.read ?? readText
  }

  async collect(emit: Emit): Promise<void> {
    const text = await this.read(`${this.paths.proc}/stat`)
    if (text === null) return
    let start = 0
    while (start < text.length) {
      const end = lineEnd(text, start)
      if (text.startsWith('cpu', start)) this.cpuLine(text, start + 3, end, emit)
      else if (text.startsWith('ctxt ', start)) {
        const v = parseInteger(text, start + 5, end)
        if (v !== undefined) emit('cpu.switches', v, 'COUNTER')
      }
      start = end + 1
    }
  }

  /** One "cpu[N] user nice …" line; `i` is just after "cpu". */
  private cpuLine(text: string, i: number, end: number, emit: Emit): void {
    let state: CpuState
    if (text.charCodeAt(i) === 32) state = this.total
    else {
      let j = i
      while (j < end && text.charCodeAt(j) !== 32) j++
      const core = parseInteger(text, i, j)
      if (core === undefined || core < 0) return
      let coreState = this.cores[core]
      if (coreState === undefined) {
        coreState = newState(frozenTags({ core: String(core) }))
        this.cores[core] = coreState
      }
      state = coreState
      i = j
    }
    const cur = state.cur
    cur.fill(0)
    const n = parseUints(text, i, end, cur)
    if (n < 4) return
    for (let k = 0; k < n; k++) if (!Number.isFinite(cur[k]!)) return

    if (state.hasPrev) this.emitShares(state, emit)
    state.cur = state.prev
    state.prev = cur
    state.hasPrev = true
  }

  private emitShares(state: CpuState, emit: Emit): void {
    const d = this.delta
    let total = 0
    for (let k = 0; k < COLUMNS; k++) {
      // A column can step back (iowait does on some kernels, and CPU hotplug resets a core): count 0.
      const v = Math.max(0, state.cur[k]! - state.prev[k]!)
      d[k] = v
      if (k < TIME_COLUMNS) total += v
    }
    if (!(total > 0)) return
    const tags = state.tags
    const idle = (d[IDLE]! * 100) / total
    emit('cpu.idle', round2(idle), 'GAUGE', tags)
    emit('cpu.busy', round2(100 - idle), 'GAUGE', tags)
    for (let k = 0; k < COLUMNS; k++) {
      if (k === IDLE) continue
      emit(NAMES[k]!, round2((d[k]! * 100) / total), 'GAUGE', tags)
    }
  }
}

function newState(tags: Tags | undefined): CpuState {
  return { prev: new Float64Array(COLUMNS), cur: new Float64Array(COLUMNS), hasPrev: false, tags }
}
