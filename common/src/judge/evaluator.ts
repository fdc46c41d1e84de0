import type { SeriesDef } from '../points.ts'
import { inActiveWindow, ZoneClock } from './active-window.ts'
import { Bindings } from './bindings.ts'
import { CompoundGroup } from './compound.ts'
import {
  type CompiledStrategy,
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
} from './events.ts'
import { DEFAULT_FLAPPING, type FlappingRule } from './flapping.ts'
import { evaluateCondition, newVerdict, TRUE, UNKNOWN } from './functions.ts'
import { IGNORED, NO_VALUE } from './history.ts'
import { type SeriesHandle, SeriesTable, slotOf } from './series.ts'
import {
  type EventKey,
  eventKeyText,
  type JudgeSnapshot,
  JudgeSnapshotSchema,
  type StateChanges,
  type StoredEventState,
} from './state.ts'

export type { SeriesHandle } from './series.ts'

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

/**
 * The judge's evaluator: points in, PROBLEM/OK events out, with Open-Falcon's semantics
 * (docs/strategy-language.md). Pure: no I/O and no clock; time is the points' timestamps and
 * the `now` given to checkNodata. One instance per judge partition; not shared across threads.
 *
 * Hot path (add): no allocation unless an event is raised or the series' strategy list changed.
 * Pass the same strategy array object for a series while its strategies do not change: a new
 * array makes the series match its strategies again.
 *
 * Memory: a judge holds a million series, so the evaluator keeps no object per series: a series
 * is a slot and a binding an id into typed columns (SeriesTable, History, Bindings), which the
 * garbage collector does not walk; a handle is a view of a slot made for the caller.
 */
export class Evaluator {
  readonly #series = new SeriesTable()
  /** Every series' points, each at its slot. */
  readonly #history = this.#series.history
  readonly #bindings: Bindings
  /** endpoint → strategy id → the compound group of that strategy on that endpoint. */
  readonly #compound = new Map<string, Map<string, CompoundGroup>>()
  /** Binding id → the compound group it is in. */
  readonly #groups = new Map<number, CompoundGroup>()
  readonly #truthOf = (b: number) => this.#bindings.truth[b]!
  readonly #compiled = new WeakMap<JudgedStrategy, CompiledStrategy>()
  readonly #clock: ZoneClock
  readonly #flap: FlappingRule | null
  readonly #onVerdict: ((v: VerdictRecord) => void) | undefined
  readonly #verdict = newVerdict()
  /** The bindings that the point being added was evaluated for, in their series' order. */
  readonly #evaluated: number[] = []
  /** Slots of the series with nodata set. */
  readonly #nodataSeries = new Set<number>()
  /** No no-data deadline falls before this: checkNodata does nothing until then. */
  #nodataDue = Number.NEGATIVE_INFINITY
  /** Bindings (own conditions) whose event state changed since the last takeChanges(). */
  readonly #dirty = new Set<number>()
  #removed: EventKey[] = []
  /** Restored states whose series has not been seen yet, by eventKeyText. */
  readonly #pending = new Map<string, StoredEventState>()

  constructor(options: EvaluatorOptions = {}) {
    this.#clock = new ZoneClock(options.timeZone ?? 'UTC')
    const flap = options.flapping === undefined ? DEFAULT_FLAPPING : options.flapping
    if (flap && !(Number.isInteger(flap.changes) && flap.changes >= 1 && flap.windowSeconds > 0))
      throw new RangeError('flapping needs a whole number of changes ≥ 1 and a window > 0 s')
    this.#flap = flap === false ? null : { ...flap }
    this.#bindings = new Bindings(this.#flap)
    this.#onVerdict = options.onVerdict
  }

  /** Series held. */
  get seriesCount(): number {
    return this.#series.count
  }

  /**
   * The handle of a series, created on first use. A series seen again with another counter
   * type or step starts its history afresh (its event state is kept).
   */
  series(def: SeriesDef): SeriesHandle {
    const slot = this.#series.find(def.endpoint, def.metric, def.tags)
    if (slot < 0) return this.#series.handle(this.#series.add(def))
    const history = this.#history
    if (history.counterTypeOf(slot) !== def.counterType || history.stepOf(slot) !== def.step) {
      history.at(slot).reset(def.counterType, def.step)
      this.#series.strategies[slot] = null
    }
    return this.#series.handle(slot)
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
    const s = slotOf(handle)
    if (!Number.isFinite(value) || !Number.isFinite(timestamp)) return false
    const t = Math.floor(timestamp)
    const ts = t - (t % this.#history.stepOf(s))
    if (this.#series.strategies[s] !== strategies) this.#bind(s, strategies)
    const added = this.#history.at(s).push(ts, value)
    if (added === IGNORED) return false
    if (this.#series.nodata[s] === 1) this.#dataBack(s, ts, out)
    if (added === NO_VALUE) return true
    const evaluated = this.#evaluate(s, ts)
    // Verdicts first, events second: a strategy whose own and extra conditions both select this
    // series sees both verdicts of this point.
    for (let i = 0; i < evaluated; i++) {
      const b = this.#evaluated[i]!
      if (this.#bindings.role[b]! < 0) this.#judge(b, ts, out)
      else this.#judgePrimariesOf(b, s, ts, out)
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
    const s = slotOf(handle)
    if (!Number.isFinite(value) || !Number.isFinite(timestamp)) return false
    const t = Math.floor(timestamp)
    if (this.#series.strategies[s] !== strategies) this.#bind(s, strategies)
    return this.#history.at(s).push(t - (t % this.#history.stepOf(s)), value) !== IGNORED
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
    const bs = this.#bindings
    let next = Number.POSITIVE_INFINITY
    let minute = -1
    for (const s of this.#nodataSeries) {
      const last = this.#history.at(s).lastTs
      if (last === Number.NEGATIVE_INFINITY) continue
      for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!) {
        const c = bs.strategy[b]!
        if (bs.role[b]! >= 0 || c.nodata === 0 || !c.enabled || c.maxNotifications === 0) continue
        if (bs.nodataStatus[b] === PROBLEM) continue
        const due = last + c.nodata
        if (!(now > due)) {
          if (due < next) next = due
          continue
        }
        if (!(due > bs.nodataLastEventTs[b]!)) continue // already raised (a replay)
        if (c.active !== null) {
          if (minute < 0) minute = this.#clock.minuteOfDay(now)
          if (!inActiveWindow(c.active, minute)) {
            next = Math.min(next, now + 60)
            continue
          }
        }
        bs.nodataStatus[b] = PROBLEM
        bs.nodataLastEventTs[b] = due
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
    for (let s = 0; s < this.#series.count; s++) this.#syncSeries(s, byId)
  }

  /** The state of every event key, as plain JSON (see JudgeSnapshotSchema); resets takeChanges. */
  snapshot(): JudgeSnapshot {
    const bs = this.#bindings
    const states: StoredEventState[] = [...this.#pending.values()]
    for (let s = 0; s < this.#series.count; s++)
      for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!)
        if (bs.role[b]! < 0) this.#pushStates(b, states)
    this.#dirty.clear()
    this.#removed = []
    return { v: 1, states }
  }

  /** The states changed, and the keys gone, since the last snapshot() or takeChanges(). */
  takeChanges(): StateChanges {
    const changed: StoredEventState[] = []
    for (const b of this.#dirty) this.#pushStates(b, changed)
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
      const s = this.#series.find(state.endpoint, state.metric, state.tags)
      const b = s < 0 ? -1 : this.#ownBinding(s, state.strategy)
      if (b >= 0) this.#apply(b, state)
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

  /** Takes the verdicts of a new point of `s`; returns how many bindings it was evaluated for. */
  #evaluate(s: number, ts: number): number {
    const bs = this.#bindings
    const history = this.#history.at(s)
    const v = this.#verdict
    let evaluated = 0
    let minute = -1
    for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!) {
      const c = bs.strategy[b]!
      if (!c.enabled) continue
      if (c.active !== null) {
        if (minute < 0) minute = this.#clock.minuteOfDay(ts)
        if (!inActiveWindow(c.active, minute)) {
          if (bs.role[b]! < 0 && interruptHold(bs.state(b), c) & CHANGED) this.#dirty.add(b)
          continue
        }
      }
      evaluateCondition(bs.condition(b), history, v)
      bs.truth[b] = v.truth
      bs.value[b] = v.value
      bs.oldest[b] = v.oldest
      this.#evaluated[evaluated++] = b
    }
    return evaluated
  }

  /** An extra condition of a compound strategy has a new verdict: its series' primaries judge again. */
  #judgePrimariesOf(extra: number, s: number, ts: number, out: JudgeEvent[]): void {
    const group = this.#groups.get(extra)
    if (group === undefined) return
    const bs = this.#bindings
    for (const p of group.primaries)
      if (bs.series[p] !== s && bs.strategy[p]!.enabled) this.#judge(p, ts, out)
  }

  #judge(b: number, ts: number, out: JudgeEvent[]): void {
    const bs = this.#bindings
    const c = bs.strategy[b]!
    const group = c.also.length === 0 ? undefined : this.#groups.get(b)
    const truth = group === undefined ? bs.truth[b]! : group.combine(b, c.also.length, c.or)
    if (this.#onVerdict !== undefined) {
      const s = bs.series[b]!
      // Computed before the literal: inside it, V8 (Node 20) fell into a deoptimization loop
      // (one per Evaluator, "Smi") that made a backtest's verdicts several times slower.
      const value = Number.isFinite(bs.value[b]!) ? bs.value[b]! : null
      const t = truth === UNKNOWN ? null : truth === TRUE
      this.#onVerdict({
        strategy: c.id,
        endpoint: this.#series.endpoint(s),
        metric: this.#series.metric(s),
        tags: this.#series.tags(s),
        timestamp: ts,
        truth: t,
        value,
      })
    }
    if (truth === UNKNOWN) return
    const r = judgeVerdict(bs.state(b), c, ts, truth === TRUE, bs.oldest[b]!, this.#flap)
    if (r & CHANGED) this.#dirty.add(b)
    if (r & EMIT) {
      const status = STATUS_TEXT[bs.status[b]!] as EventStatus
      const e = this.#event(b, 'value', status, bs.step[b]!, ts, bs.value[b]!)
      if (r & FLAPPING_ON) e.flapping = true
      else if (r & FLAPPING_OFF) e.flapping = false
      out.push(e)
    }
  }

  /** Points are back: a no-data PROBLEM of the series recovers. */
  #dataBack(s: number, ts: number, out: JudgeEvent[]): void {
    const bs = this.#bindings
    for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!) {
      const c = bs.strategy[b]!
      if (bs.nodataStatus[b] !== PROBLEM || !(ts > bs.nodataLastEventTs[b]!) || !c.enabled) continue
      const w = c.active
      if (w !== null && !inActiveWindow(w, this.#clock.minuteOfDay(ts))) continue
      bs.nodataStatus[b] = OK
      bs.nodataLastEventTs[b] = ts
      this.#dirty.add(b)
      this.#nodataDue = Number.NEGATIVE_INFINITY
      out.push(this.#event(b, 'nodata', 'OK', 1, ts, Number.NaN))
    }
  }

  #event(
    b: number,
    kind: EventKind,
    status: EventStatus,
    step: number,
    ts: number,
    value: number,
  ): JudgeEvent {
    const { strategy, endpoint, metric, tags } = this.#keyOf(b)
    return {
      id: eventId(kind, strategy, endpoint, metric, tags, status, ts),
      kind,
      status,
      step,
      timestamp: ts,
      strategy,
      priority: this.#bindings.strategy[b]!.priority,
      endpoint,
      metric,
      tags,
      value: Number.isFinite(value) ? value : null,
    }
  }

  /** Matches a series against the strategies of its endpoint, keeping the state of those that stay. */
  #bind(s: number, strategies: readonly JudgedStrategy[]): void {
    const bs = this.#bindings
    const metric = this.#series.metric(s)
    const tagSet = tagsOf(this.#series.tags(s))
    const old = this.#bindingsOf(s)
    const next: number[] = []
    const take = (c: CompiledStrategy, role: number) => {
      const same = (b: number) => bs.role[b] === role && bs.strategy[b]!.id === c.id
      if (next.some(same)) return // listed twice
      let b = old.find(same)
      if (b === undefined) {
        b = bs.add(c, role, s)
        if (role < 0 && this.#pending.size > 0) this.#adopt(b)
      } else {
        if (c.also.length === 0) this.#leaveGroup(b)
        bs.strategy[b] = c
      }
      next.push(b)
    }
    for (const st of strategies) {
      const c = this.#compile(st)
      if (conditionMatches(c.primary, metric, tagSet)) take(c, -1)
      for (let i = 0; i < c.also.length; i++) if (conditionMatches(c.also[i]!, metric, tagSet)) take(c, i)
    }
    for (const b of old) if (!next.includes(b)) this.#unbind(b)
    const history = this.#history.at(s)
    let cap = 0
    for (const b of next) {
      cap = Math.max(cap, capacityFor(bs.condition(b), history.step))
      if (!this.#groups.has(b) && bs.strategy[b]!.also.length > 0) this.#joinGroup(b)
    }
    history.ensure(cap)
    this.#link(s, next)
    this.#series.strategies[s] = strategies
    this.#updateNodata(s)
  }

  /** A series' bindings after the strategies changed: new versions taken, the others dropped. */
  #syncSeries(s: number, byId: ReadonlyMap<string, CompiledStrategy>): void {
    const bs = this.#bindings
    let tagSet: Set<string> | undefined
    let changed = false
    let previous = -1
    for (let b = this.#series.firstBinding[s]!; b >= 0; ) {
      const following = bs.next[b]!
      const c = byId.get(bs.strategy[b]!.id)
      let keep = c === bs.strategy[b]
      if (!keep) {
        changed = true
        if (c !== undefined && bs.role[b]! < c.also.length) {
          if (c.also.length === 0) this.#leaveGroup(b)
          bs.strategy[b] = c
          tagSet ??= tagsOf(this.#series.tags(s))
          keep = conditionMatches(bs.condition(b), this.#series.metric(s), tagSet)
        }
      }
      if (keep) previous = b
      else {
        if (previous < 0) this.#series.firstBinding[s] = following
        else bs.next[previous] = following
        this.#unbind(b)
      }
      b = following
    }
    if (changed) {
      this.#series.strategies[s] = null
      this.#updateNodata(s)
    }
  }

  #bindingsOf(s: number): number[] {
    const ids: number[] = []
    for (let b = this.#series.firstBinding[s]!; b >= 0; b = this.#bindings.next[b]!) ids.push(b)
    return ids
  }

  #link(s: number, ids: readonly number[]): void {
    this.#series.firstBinding[s] = ids[0] ?? -1
    for (let i = 0; i < ids.length; i++) this.#bindings.next[ids[i]!] = ids[i + 1] ?? -1
  }

  /** The binding of a strategy's own condition on a series; −1 when there is none. */
  #ownBinding(s: number, strategy: string): number {
    const bs = this.#bindings
    for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!)
      if (bs.role[b]! < 0 && bs.strategy[b]!.id === strategy) return b
    return -1
  }

  #updateNodata(s: number): void {
    const bs = this.#bindings
    let nodata = false
    for (let b = this.#series.firstBinding[s]!; b >= 0; b = bs.next[b]!)
      if (bs.role[b]! < 0 && bs.strategy[b]!.nodata > 0) nodata = true
    this.#series.nodata[s] = nodata ? 1 : 0
    if (nodata) this.#nodataSeries.add(s)
    else this.#nodataSeries.delete(s)
    this.#nodataDue = Number.NEGATIVE_INFINITY
  }

  /** Drops a binding (already out of its series' list), reporting the state keys it held. */
  #unbind(b: number): void {
    const bs = this.#bindings
    this.#leaveGroup(b)
    if (bs.role[b]! < 0) {
      this.#dirty.delete(b)
      const key = this.#keyOf(b)
      if (bs.hasValueState(b)) this.#removed.push({ kind: 'value', ...key })
      if (bs.nodataStatus[b] !== NONE) this.#removed.push({ kind: 'nodata', ...key })
    }
    bs.release(b)
  }

  #joinGroup(b: number): void {
    const bs = this.#bindings
    const endpoint = this.#series.endpoint(bs.series[b]!)
    const id = bs.strategy[b]!.id
    let groups = this.#compound.get(endpoint)
    if (groups === undefined) {
      groups = new Map()
      this.#compound.set(endpoint, groups)
    }
    let g = groups.get(id)
    if (g === undefined) {
      g = new CompoundGroup(this.#truthOf)
      groups.set(id, g)
    }
    g.add(b, bs.role[b]!)
    this.#groups.set(b, g)
  }

  #leaveGroup(b: number): void {
    const g = this.#groups.get(b)
    if (g === undefined) return
    const bs = this.#bindings
    g.remove(b, bs.role[b]!)
    this.#groups.delete(b)
    if (!g.empty) return
    const endpoint = this.#series.endpoint(bs.series[b]!)
    const groups = this.#compound.get(endpoint)
    groups?.delete(bs.strategy[b]!.id)
    if (groups?.size === 0) this.#compound.delete(endpoint)
  }

  /** A new binding takes the restored state of its keys, if any. */
  #adopt(b: number): void {
    for (const kind of ['value', 'nodata'] as const) {
      const k = eventKeyText({ kind, ...this.#keyOf(b) })
      const state = this.#pending.get(k)
      if (state === undefined) continue
      this.#pending.delete(k)
      this.#apply(b, state)
    }
  }

  #apply(b: number, st: StoredEventState): void {
    const bs = this.#bindings
    const status = st.status === 'PROBLEM' ? PROBLEM : st.status === 'OK' ? OK : NONE
    const last = st.lastEventTs ?? Number.NEGATIVE_INFINITY
    if (st.kind === 'nodata') {
      bs.nodataStatus[b] = status
      bs.nodataLastEventTs[b] = last
      return
    }
    bs.status[b] = status
    bs.step[b] = st.step
    bs.lastEventTs[b] = last
    bs.holdSince[b] = st.holdSince ?? Number.NaN
    bs.flapping[b] = st.flapping ? 1 : 0
    const log = bs.changes
    if (log === null) return
    log.clear(b)
    for (const ts of st.changes) log.record(b, ts)
  }

  /** A binding's event keys, but for their kind. */
  #keyOf(b: number): Omit<EventKey, 'kind'> {
    const s = this.#bindings.series[b]!
    return {
      strategy: this.#bindings.strategy[b]!.id,
      endpoint: this.#series.endpoint(s),
      metric: this.#series.metric(s),
      tags: this.#series.tags(s),
    }
  }

  /** The stored states of a binding's keys (value and no data), where they hold anything. */
  #pushStates(b: number, out: StoredEventState[]): void {
    const bs = this.#bindings
    const key = this.#keyOf(b)
    if (bs.hasValueState(b))
      out.push({
        kind: 'value',
        ...key,
        status: bs.status[b] === NONE ? null : (STATUS_TEXT[bs.status[b]!] as EventStatus),
        step: bs.step[b]!,
        lastEventTs: Number.isFinite(bs.lastEventTs[b]!) ? bs.lastEventTs[b]! : null,
        holdSince: Number.isNaN(bs.holdSince[b]!) ? null : bs.holdSince[b]!,
        flapping: bs.flapping[b] === 1,
        changes: bs.changes?.list(b) ?? [],
      })
    if (bs.nodataStatus[b] !== NONE)
      out.push({
        kind: 'nodata',
        ...key,
        status: STATUS_TEXT[bs.nodataStatus[b]!] as EventStatus,
        step: 1,
        lastEventTs: Number.isFinite(bs.nodataLastEventTs[b]!) ? bs.nodataLastEventTs[b]! : null,
        holdSince: null,
        flapping: false,
        changes: [],
      })
  }
}

function tagsOf(tags: string): Set<string> {
  return new Set(tags === '' ? [] : tags.split(','))
}

function keyOf(s: EventKey): EventKey {
  return { kind: s.kind, strategy: s.strategy, endpoint: s.endpoint, metric: s.metric, tags: s.tags }
}
