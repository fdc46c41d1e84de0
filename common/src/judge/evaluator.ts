import type { CounterType, SeriesDef } from '../points.ts'
import { inActiveWindow, ZoneClock } from './active-window.ts'
import { CompoundGroup } from './compound.ts'
import {
  type CompiledStrategy,
  type Condition,
  capacityFor,
  compileStrategy,
  conditionMatches,
  type JudgedStrategy,
} from './conditions.ts'
import {
  CHANGED,
  EMIT,
  type EventKind,
  type EventStatus,
  eventId,
  FLAPPING_OFF,
  FLAPPING_ON,
  interruptHold,
  type JudgeEvent,
  judgeVerdict,
  NONE,
  OK,
  PROBLEM,
  STATUS_TEXT,
  type ValueState,
} from './events.ts'
import { changeList, DEFAULT_FLAPPING, type FlappingRule, recordChange } from './flapping.ts'
import { evaluateCondition, newVerdict, TRUE, UNKNOWN } from './functions.ts'
import { History, IGNORED, NO_VALUE } from './history.ts'
import {
  type EventKey,
  eventKeyText,
  type JudgeSnapshot,
  JudgeSnapshotSchema,
  type StateChanges,
  type StoredEventState,
} from './state.ts'

export interface EvaluatorOptions {
  /** IANA time zone that strategies' active windows are read in; UTC by default. */
  timeZone?: string
  /** Flapping detection (DEFAULT_FLAPPING unless given); false turns it off. */
  flapping?: FlappingRule | false
  /** Called with every verdict taken, e.g. for a backtest to show the values compared. */
  onVerdict?: (v: VerdictRecord) => void
}

/** One evaluation of a strategy on a series, for onVerdict. */
export interface VerdictRecord {
  strategy: string
  endpoint: string
  metric: string
  tags: string
  timestamp: number
  /** null: too few points (or, compound, an unknown side) for a verdict. */
  truth: boolean | null
  value: number | null
}

/** A series as the evaluator holds it; get one from Evaluator.series() and keep it. */
export interface SeriesHandle {
  readonly endpoint: string
  readonly metric: string
  readonly tags: string
  readonly counterType: CounterType
  readonly step: number
}

/** A strategy's condition bound to one series, with the event state of its key. */
class Binding implements ValueState {
  status = NONE
  step = 0
  lastEventTs = Number.NEGATIVE_INFINITY
  holdSince = Number.NaN
  flapping = false
  changes: Float64Array | null = null
  changeHead = 0
  changeCount = 0
  nodataStatus = NONE
  nodataLastEventTs = Number.NEGATIVE_INFINITY
  /** The latest verdict of this binding's condition. */
  truth = UNKNOWN
  value = Number.NaN
  oldest = Number.NaN
  /** Which call of Evaluator.add took the verdict (its tick). */
  evaluatedAt = 0
  group: CompoundGroup<Binding> | null = null

  constructor(
    public strategy: CompiledStrategy,
    /** −1: the strategy's own condition (its events); i ≥ 0: the strategy's also[i]. */
    readonly role: number,
    readonly series: Series,
  ) {}

  get condition(): Condition {
    return this.role < 0 ? this.strategy.primary : this.strategy.also[this.role]!
  }

  get hasValueState(): boolean {
    return this.status !== NONE || !Number.isNaN(this.holdSince) || this.changeCount > 0
  }
}

class Series implements SeriesHandle {
  /** The strategy list the bindings were made from: a new list (object) binds again. */
  strategies: readonly JudgedStrategy[] | null = null
  bindings: Binding[] = []
  /** Some binding is the own condition of a strategy with `nodata`. */
  nodata = false

  constructor(
    /** The series' slot in the evaluator's History. */
    readonly slot: number,
    readonly endpoint: string,
    readonly metric: string,
    readonly tags: string,
    public counterType: CounterType,
    public step: number,
  ) {}
}

/**
 * The judge's evaluator: points in, PROBLEM/OK events out, with Open-Falcon's semantics
 * (docs/strategy-language.md). Pure: no I/O and no clock; time is the points' timestamps and
 * the `now` given to checkNodata. One instance per judge partition; not shared across threads.
 *
 * Hot path (add): no allocation unless an event is raised or the series' strategy list changed.
 * Pass the same strategy array object for a series while its strategies do not change: a new
 * array makes the series match its strategies again.
 */
export class Evaluator {
  readonly #series = new Map<string, Series>()
  /** Every series' points, each at its slot. */
  readonly #history = new History()
  /** endpoint → strategy id → the compound group of that strategy on that endpoint. */
  readonly #compound = new Map<string, Map<string, CompoundGroup<Binding>>>()
  readonly #compiled = new WeakMap<JudgedStrategy, CompiledStrategy>()
  readonly #clock: ZoneClock
  readonly #flap: FlappingRule | null
  readonly #onVerdict: ((v: VerdictRecord) => void) | undefined
  readonly #verdict = newVerdict()
  /** Counts calls of add, to tell the verdicts taken by this one. */
  #tick = 0
  readonly #nodataSeries = new Set<Series>()
  /** No no-data deadline falls before this: checkNodata does nothing until then. */
  #nodataDue = Number.NEGATIVE_INFINITY
  readonly #dirty = new Set<Binding>()
  #removed: EventKey[] = []
  /** Restored states whose series has not been seen yet, by eventKeyText. */
  readonly #pending = new Map<string, StoredEventState>()

  constructor(options: EvaluatorOptions = {}) {
    this.#clock = new ZoneClock(options.timeZone ?? 'UTC')
    const flap = options.flapping === undefined ? DEFAULT_FLAPPING : options.flapping
    if (flap && !(Number.isInteger(flap.changes) && flap.changes >= 1 && flap.windowSeconds > 0))
      throw new RangeError('flapping needs a whole number of changes ≥ 1 and a window > 0 s')
    this.#flap = flap === false ? null : { ...flap }
    this.#onVerdict = options.onVerdict
  }

  /** Series held. */
  get seriesCount(): number {
    return this.#series.size
  }

  /**
   * The handle of a series, created on first use. A series seen again with another counter
   * type or step starts its history afresh (its event state is kept).
   */
  series(def: SeriesDef): SeriesHandle {
    const key = `${def.endpoint}\t${def.metric}\t${def.tags}`
    let s = this.#series.get(key)
    if (s === undefined) {
      const slot = this.#history.add(def.counterType, def.step)
      s = new Series(slot, def.endpoint, def.metric, def.tags, def.counterType, def.step)
      this.#series.set(key, s)
    } else if (s.counterType !== def.counterType || s.step !== def.step) {
      this.#history.at(s.slot).reset(def.counterType, def.step)
      s.counterType = def.counterType
      s.step = def.step
      s.strategies = null
    }
    return s
  }

  /**
   * Evaluates one point of a series against the strategies that apply to its endpoint (the
   * evaluator keeps those whose metric and tags select the series, or one of their extra
   * conditions), appending any events to `out`. The timestamp is aligned down to the step.
   * Returns false when the point is ignored: not newer than the newest one seen, or not finite.
   */
  add(
    handle: SeriesHandle,
    timestamp: number,
    value: number,
    strategies: readonly JudgedStrategy[],
    out: JudgeEvent[],
  ): boolean {
    const s = handle as Series
    if (!Number.isFinite(value) || !Number.isFinite(timestamp)) return false
    const t = Math.floor(timestamp)
    const ts = t - (t % s.step)
    if (s.strategies !== strategies) this.#bind(s, strategies)
    const history = this.#history.at(s.slot)
    const added = history.push(ts, value)
    if (added === IGNORED) return false
    if (s.nodata) this.#dataBack(s, ts, out)
    if (added === NO_VALUE) return true
    const tick = ++this.#tick
    let minute = -1
    for (const b of s.bindings) {
      const c = b.strategy
      if (!c.enabled) continue
      if (c.active !== null) {
        if (minute < 0) minute = this.#clock.minuteOfDay(ts)
        if (!inActiveWindow(c.active, minute)) {
          if (b.role < 0 && interruptHold(b, c) & CHANGED) this.#dirty.add(b)
          continue
        }
      }
      const v = this.#verdict
      evaluateCondition(b.condition, history, v)
      b.truth = v.truth
      b.value = v.value
      b.oldest = v.oldest
      b.evaluatedAt = tick
    }
    // Verdicts first, events second: a strategy whose own and extra conditions both select this
    // series sees both verdicts of this point.
    for (const b of s.bindings) {
      if (b.evaluatedAt !== tick) continue
      if (b.role < 0) this.#judge(b, ts, out)
      else if (b.group !== null)
        for (const p of b.group.primaries) if (p.series !== s && p.strategy.enabled) this.#judge(p, ts, out)
    }
    return true
  }

  /**
   * Takes a point into the series' history without evaluating it: for points a previous judge
   * already evaluated (a takeover replays them to fill the windows). Event states are untouched,
   * so a restored state is not overwritten by the past. Returns false when the point is ignored.
   */
  warm(
    handle: SeriesHandle,
    timestamp: number,
    value: number,
    strategies: readonly JudgedStrategy[],
  ): boolean {
    const s = handle as Series
    if (!Number.isFinite(value) || !Number.isFinite(timestamp)) return false
    const t = Math.floor(timestamp)
    if (s.strategies !== strategies) this.#bind(s, strategies)
    return this.#history.at(s.slot).push(t - (t % s.step), value) !== IGNORED
  }

  /**
   * Raises a no-data PROBLEM for each strategy with `nodata: Δ` whose series has had no point for
   * longer than Δ at `now` (unix seconds; compared with point timestamps), once: it is not
   * repeated, and a point arriving later raises the no-data OK. Stamped when the data was due
   * (newest point + Δ), so every judge computes the same event. Call it on a timer; it scans
   * only when some deadline has passed.
   */
  checkNodata(now: number, out: JudgeEvent[]): void {
    if (now <= this.#nodataDue) return
    let next = Number.POSITIVE_INFINITY
    let minute = -1
    for (const s of this.#nodataSeries) {
      const last = this.#history.at(s.slot).lastTs
      if (last === Number.NEGATIVE_INFINITY) continue
      for (const b of s.bindings) {
        const c = b.strategy
        if (b.role >= 0 || c.nodata === 0 || !c.enabled || c.maxNotifications === 0) continue
        if (b.nodataStatus === PROBLEM) continue
        const due = last + c.nodata
        if (!(now > due)) {
          if (due < next) next = due
          continue
        }
        if (!(due > b.nodataLastEventTs)) continue // already raised (a replay)
        if (c.active !== null) {
          if (minute < 0) minute = this.#clock.minuteOfDay(now)
          if (!inActiveWindow(c.active, minute)) {
            next = Math.min(next, now + 60)
            continue
          }
        }
        b.nodataStatus = PROBLEM
        b.nodataLastEventTs = due
        this.#dirty.add(b)
        out.push(this.#event(b, 'nodata', 'PROBLEM', 1, due, Number.NaN))
      }
    }
    this.#nodataDue = next
  }

  /**
   * Brings held state in line with the strategies that exist now (call it when they change):
   * state of strategies that are gone is dropped (and reported by takeChanges), and series that
   * do not report again use the new versions for no data. Walks every series held.
   */
  syncStrategies(current: Iterable<JudgedStrategy>): void {
    const byId = new Map<string, CompiledStrategy>()
    for (const st of current) byId.set(st.id, this.#compile(st))
    for (const [k, state] of this.#pending)
      if (!byId.has(state.strategy)) {
        this.#pending.delete(k)
        this.#removed.push(keyOf(state))
      }
    for (const s of this.#series.values()) {
      const tagSet = tagsOf(s.tags)
      const before = s.bindings.length
      let changed = false
      s.bindings = s.bindings.filter((b) => {
        const c = byId.get(b.strategy.id)
        if (c === b.strategy) return true
        changed = true
        if (c !== undefined && b.role < c.also.length) {
          if (b.group !== null && c.also.length === 0) this.#leaveGroup(b)
          b.strategy = c
          if (conditionMatches(b.condition, s.metric, tagSet)) return true
        }
        this.#unbind(b)
        return false
      })
      if (changed || s.bindings.length !== before) {
        s.strategies = null
        this.#updateNodata(s)
      }
    }
  }

  /** The state of every event key, as plain JSON (see JudgeSnapshotSchema); resets takeChanges. */
  snapshot(): JudgeSnapshot {
    const states: StoredEventState[] = [...this.#pending.values()]
    for (const s of this.#series.values()) for (const b of s.bindings) if (b.role < 0) pushStates(b, states)
    this.#dirty.clear()
    this.#removed = []
    return { v: 1, states }
  }

  /** The states changed, and the keys gone, since the last snapshot() or takeChanges(). */
  takeChanges(): StateChanges {
    const changed: StoredEventState[] = []
    for (const b of this.#dirty) pushStates(b, changed)
    const removed = this.#removed
    this.#dirty.clear()
    this.#removed = []
    return { changed, removed }
  }

  /**
   * Restores states from a snapshot (or stored states collected into one), validated: throws a
   * ZodError for anything but a JudgeSnapshot. States of series not seen yet wait until they are.
   */
  restore(snapshot: unknown): void {
    const parsed = JudgeSnapshotSchema.parse(snapshot)
    for (const state of parsed.states) {
      const s = this.#series.get(`${state.endpoint}\t${state.metric}\t${state.tags}`)
      const b = s?.bindings.find((x) => x.role < 0 && x.strategy.id === state.strategy)
      if (b) this.#apply(b, state)
      else this.#pending.set(eventKeyText(state), state)
    }
    this.#nodataDue = Number.NEGATIVE_INFINITY
  }

  #compile(st: JudgedStrategy): CompiledStrategy {
    let c = this.#compiled.get(st)
    if (c === undefined) {
      c = compileStrategy(st)
      this.#compiled.set(st, c)
    }
    return c
  }

  #judge(b: Binding, ts: number, out: JudgeEvent[]): void {
    const c = b.strategy
    const truth = c.also.length === 0 || b.group === null ? b.truth : b.group.combine(b, c.also.length, c.or)
    if (this.#onVerdict !== undefined) {
      const s = b.series
      // Computed before the literal: inside it, V8 (Node 20) fell into a deoptimization loop
      // (one per Evaluator, "Smi") that made a backtest's verdicts several times slower.
      const value = Number.isFinite(b.value) ? b.value : null
      const t = truth === UNKNOWN ? null : truth === TRUE
      this.#onVerdict({
        strategy: c.id,
        endpoint: s.endpoint,
        metric: s.metric,
        tags: s.tags,
        timestamp: ts,
        truth: t,
        value,
      })
    }
    if (truth === UNKNOWN) return
    const r = judgeVerdict(b, c, ts, truth === TRUE, b.oldest, this.#flap)
    if (r & CHANGED) this.#dirty.add(b)
    if (r & EMIT) {
      const e = this.#event(b, 'value', STATUS_TEXT[b.status] as EventStatus, b.step, ts, b.value)
      if (r & FLAPPING_ON) e.flapping = true
      else if (r & FLAPPING_OFF) e.flapping = false
      out.push(e)
    }
  }

  /** Points are back: a no-data PROBLEM of the series recovers. */
  #dataBack(s: Series, ts: number, out: JudgeEvent[]): void {
    for (const b of s.bindings) {
      if (b.nodataStatus !== PROBLEM || !(ts > b.nodataLastEventTs) || !b.strategy.enabled) continue
      const w = b.strategy.active
      if (w !== null && !inActiveWindow(w, this.#clock.minuteOfDay(ts))) continue
      b.nodataStatus = OK
      b.nodataLastEventTs = ts
      this.#dirty.add(b)
      this.#nodataDue = Number.NEGATIVE_INFINITY
      out.push(this.#event(b, 'nodata', 'OK', 1, ts, Number.NaN))
    }
  }

  #event(
    b: Binding,
    kind: EventKind,
    status: EventStatus,
    step: number,
    ts: number,
    value: number,
  ): JudgeEvent {
    const s = b.series
    const id = b.strategy.id
    return {
      id: eventId(kind, id, s.endpoint, s.metric, s.tags, status, ts),
      kind,
      status,
      step,
      timestamp: ts,
      strategy: id,
      priority: b.strategy.priority,
      endpoint: s.endpoint,
      metric: s.metric,
      tags: s.tags,
      value: Number.isFinite(value) ? value : null,
    }
  }

  /** Matches a series against the strategies of its endpoint, keeping the state of those that stay. */
  #bind(s: Series, strategies: readonly JudgedStrategy[]): void {
    const tagSet = tagsOf(s.tags)
    const old = s.bindings
    const next: Binding[] = []
    const take = (c: CompiledStrategy, role: number) => {
      if (next.some((b) => b.role === role && b.strategy.id === c.id)) return // listed twice
      let b = old.find((x) => x.role === role && x.strategy.id === c.id)
      if (b === undefined) {
        b = new Binding(c, role, s)
        if (role < 0 && this.#pending.size > 0) this.#adopt(b)
      } else {
        if (b.group !== null && c.also.length === 0) this.#leaveGroup(b)
        b.strategy = c
      }
      next.push(b)
    }
    for (const st of strategies) {
      const c = this.#compile(st)
      if (conditionMatches(c.primary, s.metric, tagSet)) take(c, -1)
      for (let i = 0; i < c.also.length; i++) if (conditionMatches(c.also[i]!, s.metric, tagSet)) take(c, i)
    }
    for (const b of old) if (!next.includes(b)) this.#unbind(b)
    let cap = 0
    for (const b of next) {
      cap = Math.max(cap, capacityFor(b.condition, s.step))
      if (b.group === null && b.strategy.also.length > 0) this.#joinGroup(b)
    }
    this.#history.at(s.slot).ensure(cap)
    s.bindings = next.slice() // exactly as long: a pushed-to array keeps room for 16
    s.strategies = strategies
    this.#updateNodata(s)
  }

  #updateNodata(s: Series): void {
    s.nodata = s.bindings.some((b) => b.role < 0 && b.strategy.nodata > 0)
    if (s.nodata) this.#nodataSeries.add(s)
    else this.#nodataSeries.delete(s)
    this.#nodataDue = Number.NEGATIVE_INFINITY
  }

  #unbind(b: Binding): void {
    this.#leaveGroup(b)
    if (b.role >= 0) return
    this.#dirty.delete(b)
    const s = b.series
    const key = { strategy: b.strategy.id, endpoint: s.endpoint, metric: s.metric, tags: s.tags }
    if (b.hasValueState) this.#removed.push({ kind: 'value', ...key })
    if (b.nodataStatus !== NONE) this.#removed.push({ kind: 'nodata', ...key })
  }

  #joinGroup(b: Binding): void {
    const endpoint = b.series.endpoint
    let groups = this.#compound.get(endpoint)
    if (groups === undefined) {
      groups = new Map()
      this.#compound.set(endpoint, groups)
    }
    let g = groups.get(b.strategy.id)
    if (g === undefined) {
      g = new CompoundGroup<Binding>()
      groups.set(b.strategy.id, g)
    }
    g.add(b, b.role)
    b.group = g
  }

  #leaveGroup(b: Binding): void {
    const g = b.group
    if (g === null) return
    g.remove(b, b.role)
    b.group = null
    if (!g.empty) return
    const groups = this.#compound.get(b.series.endpoint)
    groups?.delete(b.strategy.id)
    if (groups?.size === 0) this.#compound.delete(b.series.endpoint)
  }

  /** A new binding takes the restored state of its keys, if any. */
  #adopt(b: Binding): void {
    const s = b.series
    for (const kind of ['value', 'nodata'] as const) {
      const k = eventKeyText({
        kind,
        strategy: b.strategy.id,
        endpoint: s.endpoint,
        metric: s.metric,
        tags: s.tags,
      })
      const state = this.#pending.get(k)
      if (state === undefined) continue
      this.#pending.delete(k)
      this.#apply(b, state)
    }
  }

  #apply(b: Binding, st: StoredEventState): void {
    const status = st.status === 'PROBLEM' ? PROBLEM : st.status === 'OK' ? OK : NONE
    const last = st.lastEventTs ?? Number.NEGATIVE_INFINITY
    if (st.kind === 'nodata') {
      b.nodataStatus = status
      b.nodataLastEventTs = last
      return
    }
    b.status = status
    b.step = st.step
    b.lastEventTs = last
    b.holdSince = st.holdSince ?? Number.NaN
    b.flapping = st.flapping
    b.changes = null
    b.changeCount = 0
    if (this.#flap !== null) for (const ts of st.changes) recordChange(b, ts, this.#flap)
  }
}

function tagsOf(tags: string): Set<string> {
  return new Set(tags === '' ? [] : tags.split(','))
}

function keyOf(s: EventKey): EventKey {
  return { kind: s.kind, strategy: s.strategy, endpoint: s.endpoint, metric: s.metric, tags: s.tags }
}

/** The stored states of a binding's keys (value and no data), where they hold anything. */
function pushStates(b: Binding, out: StoredEventState[]): void {
  const s = b.series
  const key = { strategy: b.strategy.id, endpoint: s.endpoint, metric: s.metric, tags: s.tags }
  if (b.hasValueState)
    out.push({
      kind: 'value',
      ...key,
      status: b.status === NONE ? null : (STATUS_TEXT[b.status] as EventStatus),
      step: b.step,
      lastEventTs: Number.isFinite(b.lastEventTs) ? b.lastEventTs : null,
      holdSince: Number.isNaN(b.holdSince) ? null : b.holdSince,
      flapping: b.flapping,
      changes: changeList(b),
    })
  if (b.nodataStatus !== NONE)
    out.push({
      kind: 'nodata',
      ...key,
      status: STATUS_TEXT[b.nodataStatus] as EventStatus,
      step: 1,
      lastEventTs: Number.isFinite(b.nodataLastEventTs) ? b.nodataLastEventTs : null,
      holdSince: null,
      flapping: false,
      changes: [],
    })
}
