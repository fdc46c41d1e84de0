// The alarm's pure decisions, on hand-computed cases: schedules in time zones (a DST day each
// way, a window across midnight), matchers, subtrees by path, inhibition, escalation.
import { describe, expect, it } from 'vitest'
import {
  EscalationPolicy,
  type EventFacts,
  effectiveInhibitionRules,
  escalationFor,
  escalationLevel,
  HEARTBEAT_INHIBITION,
  InhibitionRule,
  inhibitedBy,
  Silence,
  type SilenceSchedule,
  silenceActiveAt,
  silenced,
  silenceMatches,
  silenceState,
  Tree,
  type TreeNode,
} from '../src/schema.ts'

/** Unix seconds of a UTC time written `2026-03-29T01:00`. */
const utc = (iso: string) => Date.parse(`${iso}:00Z`) / 1000

const active = (schedule: SilenceSchedule, iso: string) => silenceActiveAt({ schedule }, utc(iso))

const weekly = (
  days: number[],
  start: string,
  end: string,
  timeZone: string,
  extra = {},
): SilenceSchedule => ({
  kind: 'weekly',
  days,
  start,
  end,
  timeZone,
  ...extra,
})

describe('silence schedules', () => {
  it('holds a one-off silence from `from` up to, not including, `to`', () => {
    const once: SilenceSchedule = { kind: 'once', from: 1000, to: 2000 }
    expect([999, 1000, 1999, 2000].map((t) => silenceActiveAt({ schedule: once }, t))).toEqual([
      false,
      true,
      true,
      false,
    ])
    expect([999, 1000, 2000].map((t) => silenceState({ schedule: once }, t))).toEqual([
      'scheduled',
      'active',
      'expired',
    ])
  })

  it('reads a weekly window on the wall clock of its zone', () => {
    // Monday 09:00–17:00 in Kolkata (UTC+05:30): 03:30–11:30 UTC on Monday 2026-01-05.
    const office = weekly([1], '09:00', '17:00', 'Asia/Kolkata')
    expect(active(office, '2026-01-05T03:29')).toBe(false)
    expect(active(office, '2026-01-05T03:30')).toBe(true)
    expect(active(office, '2026-01-05T11:29')).toBe(true)
    expect(active(office, '2026-01-05T11:30')).toBe(false)
    // The same times a day later are a Tuesday.
    expect(active(office, '2026-01-06T05:00')).toBe(false)
  })

  it('runs a window that crosses midnight into the next morning, also on a DST day', () => {
    // Saturday 22:00 – Sunday 02:00 in Berlin. Sunday 2026-03-29 clocks go 02:00 CET → 03:00
    // CEST at 01:00 UTC, which is the window's end.
    const night = weekly([6], '22:00', '02:00', 'Europe/Berlin')
    expect(active(night, '2026-03-28T20:59')).toBe(false) // Sat 21:59 CET
    expect(active(night, '2026-03-28T21:00')).toBe(true) // Sat 22:00 CET
    expect(active(night, '2026-03-28T23:30')).toBe(true) // Sun 00:30 CET: the morning after
    expect(active(night, '2026-03-29T00:59')).toBe(true) // Sun 01:59 CET
    expect(active(night, '2026-03-29T01:00')).toBe(false) // Sun 03:00 CEST
    // Not the evening of the Sunday (only Saturday is listed), nor Friday night into Saturday.
    expect(active(night, '2026-03-29T21:00')).toBe(false)
    expect(active(night, '2026-03-27T23:30')).toBe(false)
  })

  it('skips a window inside the hour clocks spring over, and holds the repeated hour twice', () => {
    const twoToThree = weekly([0], '02:00', '03:00', 'Europe/Berlin')
    // 2026-03-29: 02:00–03:00 local never happens.
    for (let t = utc('2026-03-28T23:00'); t < utc('2026-03-29T03:00'); t += 60)
      expect(silenceActiveAt({ schedule: twoToThree }, t), String(t)).toBe(false)
    // 2026-10-25: 03:00 CEST → 02:00 CET at 01:00 UTC; 02:00–03:00 local is 00:00–02:00 UTC.
    expect(active(twoToThree, '2026-10-24T23:59')).toBe(false) // 01:59 CEST
    expect(active(twoToThree, '2026-10-25T00:00')).toBe(true) // 02:00 CEST
    expect(active(twoToThree, '2026-10-25T01:00')).toBe(true) // 02:00 CET, the second time
    expect(active(twoToThree, '2026-10-25T01:59')).toBe(true) // 02:59 CET
    expect(active(twoToThree, '2026-10-25T02:00')).toBe(false) // 03:00 CET
  })

  it('takes equal start and end as 24 hours, and bounds a weekly silence by from and until', () => {
    // Wednesdays in UTC, in force from Wednesday 2026-01-07 12:00 until 2026-01-14 06:00.
    const wednesday = weekly([3], '00:00', '00:00', 'UTC', {
      from: utc('2026-01-07T12:00'),
      until: utc('2026-01-14T06:00'),
    })
    expect(active(wednesday, '2026-01-07T11:59')).toBe(false) // before from
    expect(active(wednesday, '2026-01-07T12:00')).toBe(true)
    expect(active(wednesday, '2026-01-07T23:59')).toBe(true)
    expect(active(wednesday, '2026-01-08T00:00')).toBe(false) // Thursday
    expect(active(wednesday, '2026-01-14T05:59')).toBe(true)
    expect(active(wednesday, '2026-01-14T06:00')).toBe(false) // until
    expect(silenceState({ schedule: wednesday }, utc('2026-01-10T00:00'))).toBe('scheduled')
    expect(silenceState({ schedule: wednesday }, utc('2026-01-14T06:00'))).toBe('expired')
    expect(silenceState({ schedule: weekly([3], '00:00', '00:00', 'UTC') }, 4e9)).not.toBe('expired')
  })
})

//   corp ─ shop ─ web
//        │      └ db
//        └ shopping
const node = (id: string, parent: string | null, name = id): TreeNode => ({
  id,
  parent,
  name,
  owners: [],
  note: '',
  excludes: [],
  version: 1,
})
const tree = new Tree({
  nodes: [
    node('n-corp', null, 'corp'),
    node('n-shop', 'n-corp', 'shop'),
    node('n-web', 'n-shop', 'web'),
    node('n-db', 'n-shop', 'db'),
    node('n-shopping', 'n-corp', 'shopping'),
  ],
})

let n = 0
type EventExtra = Partial<Omit<EventFacts, 'strategy'>> & { priority?: number; strategy?: string }
const event = (extra: EventExtra = {}): EventFacts => {
  const { priority = 3, strategy = 's_cpu', ...rest } = extra
  n++
  return {
    id: `e${n}`,
    key: `k${n}`,
    status: 'PROBLEM',
    kind: 'value',
    endpoint: 'web-1',
    metric: 'cpu.idle',
    tags: 'core=0,dc=fra',
    paths: ['corp.shop.web'],
    strategy: { id: strategy, priority },
    ...rest,
  }
}

const NOW = 1_800_000_000
const silence = (id: string, match: Silence['match']): Silence =>
  Silence.parse({
    id,
    match,
    schedule: { kind: 'once', from: NOW - 60, to: NOW + 60 },
    reason: 'test',
    createdBy: 'test',
    createdAt: NOW - 60,
  })

describe('silence matching', () => {
  it('matches a node by its subtree, through the current path of the node id', () => {
    const shop = silence('shop', { node: 'n-shop' })
    expect(silenceMatches(shop, event({ paths: ['corp.shop.web'] }), NOW, tree)).toBe(true)
    expect(silenceMatches(shop, event({ paths: ['corp.shop'] }), NOW, tree)).toBe(true)
    // A sibling whose name starts alike, the parent, and a host bound nowhere are outside.
    expect(silenceMatches(shop, event({ paths: ['corp.shopping'] }), NOW, tree)).toBe(false)
    expect(silenceMatches(shop, event({ paths: ['corp'] }), NOW, tree)).toBe(false)
    expect(silenceMatches(shop, event({ paths: [] }), NOW, tree)).toBe(false)
    // One of a host's bindings within the subtree is enough.
    expect(silenceMatches(shop, event({ paths: ['corp.shopping', 'corp.shop.db'] }), NOW, tree)).toBe(true)
    // A node that is gone matches nothing.
    expect(silenceMatches(silence('gone', { node: 'n-gone' }), event(), NOW, tree)).toBe(false)
  })

  it('requires every matcher given', () => {
    const s = silence('s', {
      hosts: ['web-1', 'web-2'],
      strategy: 's_cpu',
      metric: 'cpu.idle',
      tags: 'dc=fra',
      priorities: [2, 3],
    })
    expect(silenceMatches(s, event(), NOW, tree)).toBe(true)
    expect(silenceMatches(s, event({ endpoint: 'web-3' }), NOW, tree)).toBe(false)
    expect(silenceMatches(s, event({ strategy: 's_mem' }), NOW, tree)).toBe(false)
    expect(silenceMatches(s, event({ metric: 'cpu.busy' }), NOW, tree)).toBe(false)
    expect(silenceMatches(s, event({ tags: 'core=0' }), NOW, tree)).toBe(false)
    expect(silenceMatches(s, event({ tags: 'dc=fra2' }), NOW, tree)).toBe(false)
    expect(silenceMatches(s, event({ priority: 1 }), NOW, tree)).toBe(false)
  })

  it('matches only while active, and lists every silence that holds', () => {
    const a = silence('a', { node: 'n-corp' })
    const b = silence('b', { metric: 'cpu.idle' })
    const c = silence('c', { metric: 'mem.free' })
    expect(silenced([a, b, c], event(), NOW, tree)).toEqual(['a', 'b'])
    expect(silenced([a, b, c], event(), NOW + 60, tree)).toEqual([])
  })

  it('refuses a silence without matcher, and canonicalises tags', () => {
    const parsed = Silence.safeParse({ ...silence('x', { metric: 'm' }), match: {} })
    expect(parsed.error?.issues[0]?.message).toMatch(/at least one of node, hosts/)
    expect(silence('t', { tags: 'dc = fra, a=1' }).match.tags).toBe('a=1,dc=fra')
  })
})

describe('inhibition', () => {
  const heartbeat = event({ kind: 'heartbeat', metric: 'agent.alive', tags: '', priority: 1 })
  const rules = effectiveInhibitionRules([])

  it("holds back a host's other events while its heartbeat is lost, by default", () => {
    expect(rules).toEqual([HEARTBEAT_INHIBITION])
    const cpu = event()
    expect(inhibitedBy(rules, [heartbeat], cpu)).toEqual([{ rule: 'host-heartbeat', source: heartbeat.id }])
    // Another host, a heartbeat that recovered, and the heartbeat event itself are not held back.
    expect(inhibitedBy(rules, [heartbeat], event({ endpoint: 'web-2' }))).toEqual([])
    expect(inhibitedBy(rules, [{ ...heartbeat, status: 'OK' }], cpu)).toEqual([])
    expect(inhibitedBy(rules, [heartbeat], heartbeat)).toEqual([])
  })

  it('lets a stored rule of the same id replace the built-in one, e.g. to disable it', () => {
    const off = InhibitionRule.parse({ ...HEARTBEAT_INHIBITION, enabled: false })
    expect(effectiveInhibitionRules([off])).toEqual([off])
    expect(inhibitedBy(effectiveInhibitionRules([off]), [heartbeat], event())).toEqual([])
  })

  it('inhibits by node: a node-level event holds back the events of the hosts below it', () => {
    const rule = InhibitionRule.parse({
      id: 'lb-down',
      source: { strategy: 's_lb', priorities: [0, 1] },
      target: { kind: 'value' },
      equal: ['node'],
    })
    const lb = event({ endpoint: 'lb-1', strategy: 's_lb', priority: 1, paths: ['corp.shop'] })
    expect(inhibitedBy([rule], [lb], event({ paths: ['corp.shop.web'] }))).toEqual([
      { rule: 'lb-down', source: lb.id },
    ])
    expect(inhibitedBy([rule], [lb], event({ paths: ['corp.shopping'] }))).toEqual([])
    expect(inhibitedBy([rule], [lb], event({ kind: 'nodata' }))).toEqual([])
    // A less urgent load balancer event is not a source.
    expect(inhibitedBy([rule], [{ ...lb, strategy: { id: 's_lb', priority: 3 } }], event())).toEqual([])
    // Both equalities: the same host too.
    const both = { ...rule, equal: ['node', 'endpoint'] as InhibitionRule['equal'] }
    expect(inhibitedBy([both], [lb], event())).toEqual([])
    expect(inhibitedBy([both], [lb], event({ endpoint: 'lb-1' }))).toHaveLength(1)
  })

  it('refuses a rule whose source selects everything', () => {
    const r = InhibitionRule.safeParse({ id: 'all', source: {}, target: {}, equal: ['endpoint'] })
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['source', 'a source selects by kind, strategy, metric or priorities'],
    ])
  })
})

describe('escalation', () => {
  const policy = (nodeId: string, afterSeconds = 300): EscalationPolicy =>
    EscalationPolicy.parse({ node: nodeId, steps: [{ afterSeconds, teams: [`${nodeId}-leads`] }] })
  const corp = policy('n-corp')
  const shop = policy('n-shop')
  const db = policy('n-db')
  const gone = policy('n-gone')

  it("takes the nearest node's policy at or above the host's paths", () => {
    const policies = [corp, shop, db, gone]
    expect(escalationFor(policies, tree, { paths: ['corp.shop.web'] })).toBe(shop)
    expect(escalationFor(policies, tree, { paths: ['corp.shop.db'] })).toBe(db)
    expect(escalationFor(policies, tree, { paths: ['corp.shopping'] })).toBe(corp)
    expect(escalationFor(policies, tree, { paths: [] })).toBeNull()
    expect(escalationFor([shop], tree, { paths: ['corp'] })).toBeNull()
    // Bound twice: the deepest wins.
    expect(escalationFor(policies, tree, { paths: ['corp.shopping', 'corp.shop.db'] })).toBe(db)
  })

  it('says which step is due after how long, and how often the last one repeated', () => {
    const p = EscalationPolicy.parse({
      node: 'n-shop',
      steps: [
        { afterSeconds: 0, teams: ['oncall'] },
        { afterSeconds: 600, teams: ['leads'] },
      ],
      repeatEverySeconds: 1800,
    })
    expect(escalationLevel(p, 0)).toEqual({ step: 0, repeat: 0 })
    expect(escalationLevel(p, 599)).toEqual({ step: 0, repeat: 0 })
    expect(escalationLevel(p, 600)).toEqual({ step: 1, repeat: 0 })
    expect(escalationLevel(p, 600 + 1799)).toEqual({ step: 1, repeat: 0 })
    expect(escalationLevel(p, 600 + 3600)).toEqual({ step: 1, repeat: 2 })
    expect(escalationLevel(policy('n-db', 300), 299)).toBeNull()
    expect(escalationLevel(policy('n-db', 300), 9999)).toEqual({ step: 0, repeat: 0 })
  })

  it('refuses steps out of order', () => {
    const r = EscalationPolicy.safeParse({
      node: 'n',
      steps: [
        { afterSeconds: 600, teams: ['a'] },
        { afterSeconds: 600, teams: ['b'] },
      ],
    })
    expect(r.error?.issues[0]?.path).toEqual(['steps'])
  })
})
