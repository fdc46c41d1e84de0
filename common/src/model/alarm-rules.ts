import {
  type EscalationPolicy,
  type EventSelector,
  HEARTBEAT_INHIBITION,
  type InhibitionRule,
  type Silence,
  type SilenceMatch,
  type SilenceSchedule,
} from './alarm.ts'
import type { AlertEvent } from './event.ts'
import { Tree } from './tree.ts'

/**
 * The alarm's pure decisions: is an event silenced, inhibited, whose escalation policy applies.
 * No I/O and no clock: `now` is given in unix seconds, so the alarm service, the deploy gate and
 * the tests decide alike.
 */

/** What the rules look at in an event: an AlertEvent, or an event as the API answers it. */
export type EventFacts = Pick<
  AlertEvent,
  'id' | 'key' | 'status' | 'kind' | 'endpoint' | 'metric' | 'tags' | 'paths'
> & {
  strategy: Pick<AlertEvent['strategy'], 'id' | 'priority'>
}

type Weekly = Extract<SilenceSchedule, { kind: 'weekly' }>

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']
/** Intl formatters are slow to build and there are a few hundred zones at most: one per zone. */
const clocks = new Map<string, Intl.DateTimeFormat>()

/** Day of the week (0 = Sunday) and minute of the day on the wall clocks of `timeZone`. */
function wallClock(timeZone: string, seconds: number): { day: number; minute: number } {
  let clock = clocks.get(timeZone)
  if (!clock) {
    const parts = { weekday: 'short', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' } as const
    clock = new Intl.DateTimeFormat('en-US', { timeZone, ...parts })
    clocks.set(timeZone, clock)
  }
  let day = 0
  let minute = 0
  for (const p of clock.formatToParts(seconds * 1000)) {
    if (p.type === 'weekday') day = WEEKDAYS.indexOf(p.value)
    else if (p.type === 'hour') minute += Number(p.value) * 60
    else if (p.type === 'minute') minute += Number(p.value)
  }
  return { day, minute }
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))

/**
 * Wall-clock semantics, as people read a maintenance window: on a day clocks spring forward a
 * window inside the skipped hour never happens, and one spanning it is an hour shorter; on the
 * day they fall back, the repeated hour is in the window twice.
 */
function inWeeklyWindow(w: Weekly, now: number): boolean {
  const { day, minute } = wallClock(w.timeZone, now)
  const start = minutesOf(w.start)
  const end = minutesOf(w.end)
  const listed = (d: number) => w.days.includes(d)
  if (start < end) return listed(day) && minute >= start && minute < end
  // Crosses midnight (or lasts 24 hours): the evening of a listed day and the morning after it.
  return (listed(day) && minute >= start) || (listed((day + 6) % 7) && minute < end)
}

/** When the silence ends for good (unix seconds); null for a weekly one without `until`. */
export function silenceEndsAt(s: { schedule: SilenceSchedule }): number | null {
  return s.schedule.kind === 'once' ? s.schedule.to : (s.schedule.until ?? null)
}

/** Whether the silence holds at `now`: within its range, and for a weekly one, within its window. */
export function silenceActiveAt(s: { schedule: SilenceSchedule }, now: number): boolean {
  const sc = s.schedule
  if (sc.kind === 'once') return sc.from <= now && now < sc.to
  if ((sc.from !== undefined && now < sc.from) || (sc.until !== undefined && now >= sc.until)) return false
  return inWeeklyWindow(sc, now)
}

export const SILENCE_STATES = ['active', 'scheduled', 'expired'] as const
export type SilenceState = (typeof SILENCE_STATES)[number]

/** `active` now; `scheduled`, in force but not now (not begun, or outside its weekly window); `expired`. */
export function silenceState(s: { schedule: SilenceSchedule }, now: number): SilenceState {
  const end = silenceEndsAt(s)
  if (end !== null && now >= end) return 'expired'
  return silenceActiveAt(s, now) ? 'active' : 'scheduled'
}

const hasTags = (eventTags: string, wanted: string) => {
  const have = new Set(eventTags.split(','))
  return wanted.split(',').every((pair) => have.has(pair))
}

/** Whether every matcher of `m` holds for the event; `node` by the tree's current path of the node. */
function matches(m: SilenceMatch, e: EventFacts, tree: Tree): boolean {
  if (m.node !== undefined) {
    const path = tree.path(m.node)
    if (path === undefined || !e.paths.some((p) => Tree.within(p, path))) return false
  }
  if (m.hosts !== undefined && !m.hosts.includes(e.endpoint)) return false
  if (m.strategy !== undefined && m.strategy !== e.strategy.id) return false
  if (m.metric !== undefined && m.metric !== e.metric) return false
  if (m.tags !== undefined && !hasTags(e.tags, m.tags)) return false
  return m.priorities === undefined || m.priorities.includes(e.strategy.priority)
}

/**
 * Whether the silence holds at `now` and matches the event. A silence on a node that is gone
 * matches nothing; the tree is needed because silences keep node ids and events carry paths.
 */
export function silenceMatches(s: Silence, e: EventFacts, now: number, tree: Tree): boolean {
  return silenceActiveAt(s, now) && matches(s.match, e, tree)
}

/** The ids of the silences that silence the event at `now` (none: notify). */
export function silenced(silences: Iterable<Silence>, e: EventFacts, now: number, tree: Tree): string[] {
  const out: string[] = []
  for (const s of silences) if (silenceMatches(s, e, now, tree)) out.push(s.id)
  return out
}

/** The rules in force: the stored ones, and the built-in heartbeat rule unless one replaces it. */
export function effectiveInhibitionRules(stored: Iterable<InhibitionRule>): InhibitionRule[] {
  const rules = [...stored]
  return rules.some((r) => r.id === HEARTBEAT_INHIBITION.id) ? rules : [HEARTBEAT_INHIBITION, ...rules]
}

function selects(sel: EventSelector, e: EventFacts): boolean {
  return (
    (sel.kind === undefined || sel.kind === e.kind) &&
    (sel.strategy === undefined || sel.strategy === e.strategy.id) &&
    (sel.metric === undefined || sel.metric === e.metric) &&
    (sel.priorities === undefined || sel.priorities.includes(e.strategy.priority))
  )
}

function shares(equal: InhibitionRule['equal'], source: EventFacts, target: EventFacts): boolean {
  return equal.every((what) =>
    what === 'endpoint'
      ? source.endpoint === target.endpoint
      : target.paths.some((t) => source.paths.some((s) => Tree.within(t, s))),
  )
}

/**
 * Whether a firing event can hold others back under `rules` (some enabled rule's source selects
 * it): the alarm keeps just those at hand, so that checking an event does not walk everything
 * that fires.
 */
export function inhibitionSource(rules: Iterable<InhibitionRule>, e: EventFacts): boolean {
  for (const r of rules) if (r.enabled && e.status === 'PROBLEM' && selects(r.source, e)) return true
  return false
}

/** A rule holding an event back, and the firing event that does it (its id). */
export interface Inhibition {
  rule: string
  source: string
}

/**
 * What holds the event back: for each enabled rule whose target selects it, the first firing
 * (PROBLEM) event its source selects that shares `equal` with it. Never the event's own key: an
 * event matching both sides does not inhibit itself. `rules`: effectiveInhibitionRules(stored).
 */
export function inhibitedBy(
  rules: Iterable<InhibitionRule>,
  firing: readonly EventFacts[],
  e: EventFacts,
): Inhibition[] {
  const out: Inhibition[] = []
  for (const r of rules) {
    if (!r.enabled || !selects(r.target, e)) continue
    const source = firing.find(
      (f) => f.status === 'PROBLEM' && f.key !== e.key && selects(r.source, f) && shares(r.equal, f, e),
    )
    if (source) out.push({ rule: r.id, source: source.id })
  }
  return out
}

/**
 * The escalation policy of the event: the one of the nearest node at or above the tree paths of
 * its host (the deepest over all of them; at equal depth the smaller path). Null when no
 * node on the way up has one, or the host is bound nowhere.
 */
export function escalationFor(
  policies: Iterable<EscalationPolicy>,
  tree: Tree,
  e: Pick<EventFacts, 'paths'>,
): EscalationPolicy | null {
  let best: { policy: EscalationPolicy; depth: number; path: string } | null = null
  for (const policy of policies) {
    const path = tree.path(policy.node)
    if (path === undefined || !e.paths.some((p) => Tree.within(p, path))) continue
    const depth = path.split('.').length
    if (!best || depth > best.depth || (depth === best.depth && path < best.path))
      best = { policy, depth, path }
  }
  return best?.policy ?? null
}

/**
 * Where an unacknowledged PROBLEM stands `elapsed` seconds after it was raised: the index of the
 * last step reached, and how many times that last step has been repeated (`repeatEverySeconds`);
 * null before the first step is due.
 */
export function escalationLevel(
  p: Pick<EscalationPolicy, 'steps' | 'repeatEverySeconds'>,
  elapsed: number,
): { step: number; repeat: number } | null {
  const step = p.steps.findLastIndex((s) => elapsed >= s.afterSeconds)
  if (step < 0) return null
  const last = p.steps.length - 1
  if (step < last || p.repeatEverySeconds === undefined) return { step, repeat: 0 }
  return { step, repeat: Math.floor((elapsed - p.steps[last]!.afterSeconds) / p.repeatEverySeconds) }
}
