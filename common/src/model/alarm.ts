import { z } from 'zod'
import { UserName } from './access.ts'
import { EVENT_KINDS } from './event.ts'
import { ClockTime, TimeZone } from './strategy.ts'
import { TagText } from './tree.ts'

/**
 * What the alarm service applies to events before anyone is told: silences (maintenance windows
 * are weekly silences), inhibition rules and escalation policies. Stored in the configuration KV
 * (ConfigStore); the pure functions over them are in alarm-rules.ts. docs/silences.md.
 */

/** Most hosts one silence may name. */
export const MAX_SILENCE_HOSTS = 100
/** Longest reason of a silence. */
export const MAX_SILENCE_REASON = 1000
/** Most steps of an escalation policy, and teams per step. */
export const MAX_ESCALATION_STEPS = 10
export const MAX_ESCALATION_TEAMS = 20
const WEEK = 7 * 86_400

const unixSeconds = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 32 - 1)

const unique = <T>(list: T[]) => new Set(list).size === list.length
const Priorities = z.array(z.number().int().min(0).max(6)).min(1).max(7).refine(unique, 'each priority once')
const Weekdays = z.array(z.number().int().min(0).max(6)).min(1).max(7).refine(unique, 'each day once')

/** Tags an event must include, canonical like a strategy's; empty text is refused (it says nothing). */
const MatchTags = z.string().min(1, 'k=v pairs the event must have').max(510).pipe(TagText.out)

/** A name people and strategies-as-code refer to, like a strategy's. */
export const AlarmName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'letters, digits, _ . -; up to 63 characters')

/**
 * What a silence matches; every matcher given must hold. `node` is a tree node id in the store
 * (so a silence follows its subtree when it is renamed or moved) and a path in the API.
 */
export const matchShape = <N extends z.ZodType>(node: N) => ({
  /** A tree node: the events of hosts bound at or below it. */
  node: node.optional(),
  /** Endpoints (hosts), exactly. */
  hosts: z.array(z.string().min(1).max(255)).min(1).max(MAX_SILENCE_HOSTS).optional(),
  /** A strategy id. */
  strategy: z.string().min(1).max(128).optional(),
  metric: z.string().min(1).max(255).optional(),
  /** `k=v,…` pairs the event's tags must include. */
  tags: MatchTags.optional(),
  priorities: Priorities.optional(),
})

/** Whether an object of optional matchers has one: an empty one would match everything. */
export const anyGiven = (m: Record<string, unknown>) => Object.values(m).some((v) => v !== undefined)
export const NO_MATCHER = 'a silence needs at least one of node, hosts, strategy, metric, tags, priorities'

export const SilenceMatch = z
  .strictObject(matchShape(z.string().min(1).max(128)))
  .refine(anyGiven, NO_MATCHER)
export type SilenceMatch = z.infer<typeof SilenceMatch>

/** One time range, unix seconds, `from` included and `to` not. */
const OnceSchedule = z
  .strictObject({ kind: z.literal('once'), from: unixSeconds, to: unixSeconds })
  .refine((s) => s.from < s.to, { path: ['to'], message: 'to must be after from' })

/**
 * Every week on `days` (0 = Sunday … 6 = Saturday) from `start` to `end`, wall-clock time in
 * `timeZone`; an `end` not after `start` ends the next day (`22:00`–`02:00`; equal: 24 hours).
 * In force from `from` (default: at once) until `until` (default: for good).
 */
const WeeklySchedule = z
  .strictObject({
    kind: z.literal('weekly'),
    days: Weekdays,
    start: ClockTime,
    end: ClockTime,
    timeZone: TimeZone,
    from: unixSeconds.optional(),
    until: unixSeconds.optional(),
  })
  .refine((s) => s.from === undefined || s.until === undefined || s.from < s.until, {
    path: ['until'],
    message: 'until must be after from',
  })

export const SilenceSchedule = z.discriminatedUnion('kind', [OnceSchedule, WeeklySchedule])
export type SilenceSchedule = z.infer<typeof SilenceSchedule>

/** What people write of a silence, besides its matchers. */
export const silenceFields = {
  /** Optional; unique when given. Strategies-as-code manages named silences only. */
  name: AlarmName.optional(),
  schedule: SilenceSchedule,
  reason: z.string().trim().min(1, 'say why').max(MAX_SILENCE_REASON),
}

/** A stored silence: events it matches while active are recorded, marked silenced, not notified. */
export const Silence = z.object({
  id: z.string().min(1).max(64),
  match: SilenceMatch,
  ...silenceFields,
  /** Name of the token that created it. */
  createdBy: z.string().max(256),
  createdAt: unixSeconds,
})
export type Silence = z.infer<typeof Silence>

/** Which events a side of an inhibition rule selects; every field given must hold. */
export const EventSelector = z.strictObject({
  kind: z.enum(EVENT_KINDS).optional(),
  strategy: z.string().min(1).max(128).optional(),
  metric: z.string().min(1).max(255).optional(),
  priorities: Priorities.optional(),
})
export type EventSelector = z.infer<typeof EventSelector>

/**
 * What source and target must share: `endpoint`, the same host; `node`, one of the target's tree
 * paths at or below one of the source's (a node-level event inhibits the events of its hosts).
 */
export const INHIBITION_EQUAL = ['endpoint', 'node'] as const

export const inhibitionFields = {
  /** A firing event selected here … */
  source: EventSelector.refine(anyGiven, 'a source selects by kind, strategy, metric or priorities'),
  /** … holds back the events selected here that share `equal` with it. */
  target: EventSelector,
  equal: z.array(z.enum(INHIBITION_EQUAL)).min(1).max(2).refine(unique, 'each once'),
  enabled: z.boolean().default(true),
  note: z.string().max(2000).default(''),
}

export const InhibitionRule = z.object({ id: AlarmName, ...inhibitionFields })
export type InhibitionRule = z.infer<typeof InhibitionRule>

/**
 * Built in, always there unless a stored rule of the same id replaces it (to change or disable
 * it); deleting that stored rule brings this one back.
 */
export const HEARTBEAT_INHIBITION: InhibitionRule = {
  id: 'host-heartbeat',
  source: { kind: 'heartbeat' },
  target: {},
  equal: ['endpoint'],
  enabled: true,
  note: "A host whose agent stopped reporting: its other events are the outage's echo, not news.",
}

/** After `afterSeconds` unacknowledged, a PROBLEM goes to `teams` too. */
export const EscalationStep = z.strictObject({
  afterSeconds: z.number().int().min(0).max(WEEK),
  teams: z.array(UserName).min(1).max(MAX_ESCALATION_TEAMS),
})
export type EscalationStep = z.infer<typeof EscalationStep>

export const escalationFields = {
  steps: z
    .array(EscalationStep)
    .min(1)
    .max(MAX_ESCALATION_STEPS)
    .refine(
      (steps) => steps.every((s, i) => i === 0 || s.afterSeconds > steps[i - 1]!.afterSeconds),
      'steps in order of afterSeconds, each later than the one before',
    ),
  /** After the last step, it is sent to the last step's teams again this often. */
  repeatEverySeconds: z.number().int().min(60).max(WEEK).optional(),
}

/** A node's policy; it applies to the hosts below it that have no nearer one (like strategies). */
export const EscalationPolicy = z.object({ node: z.string().min(1).max(128), ...escalationFields })
export type EscalationPolicy = z.infer<typeof EscalationPolicy>
