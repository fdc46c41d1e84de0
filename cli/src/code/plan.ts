import { silenceEndsAt, Tree } from '@peregrine/common'
import type { z } from 'zod'
import type { ApiEscalation, ApiScreen, ApiSilence } from './client.ts'
import {
  type CodeFile,
  type EscalationEntry,
  EscalationValue,
  type NodeEntry,
  NodeValue,
  parentOf,
  type ScreenEntry,
  ScreenValue,
  type SilenceEntry,
  SilenceValue,
  type StrategyEntry,
  StrategyValue,
  screenKey,
  strategyKey,
  strategyOrder,
  type TeamEntry,
  TeamValue,
} from './format.ts'

/** What is on the server, as the API lists it (extra fields such as ids are ignored). */
export interface State {
  nodes: (z.input<typeof NodeValue> & { version: number })[]
  strategies: (z.input<typeof StrategyValue> & { id: string; revision: number })[]
  /** Read only when the file manages teams. */
  teams?: (z.input<typeof TeamValue> & { revision: number })[] | undefined
  /** Host bindings (node paths); read only when the plan may delete nodes. */
  hosts?: { host: string; nodes: string[] }[] | undefined
  /** Read only when the file manages silences. */
  silences?: ApiSilence[] | undefined
  /** Read only when the file manages escalation policies. */
  escalation?: ApiEscalation[] | undefined
  /** Read only when the file manages screens. */
  screens?: ApiScreen[] | undefined
}

export type Kind = 'node' | 'team' | 'strategy' | 'silence' | 'escalation' | 'screen'
interface Values {
  node: NodeEntry
  team: TeamEntry
  strategy: StrategyEntry
  silence: SilenceEntry
  escalation: EscalationEntry
  screen: ScreenEntry
}
/**
 * What an update or delete is based on: path + version, team name + revision, strategy, silence
 * or screen id + revision, policy node path + revision.
 */
export interface Ref {
  id: string
  revision: number
}

/**
 * One change: `key` is the node path, the team or silence name, `node/name` of a strategy or a
 * screen, a policy's node.
 */
export type Change = {
  [K in Kind]:
    | { op: 'create'; kind: K; key: string; after: Values[K] }
    | { op: 'update'; kind: K; key: string; before: Values[K]; after: Values[K]; fields: string[]; ref: Ref }
    | { op: 'delete'; kind: K; key: string; before: Values[K]; ref: Ref }
}[Kind]

export interface Plan {
  scope: string
  prune: boolean
  /** In the order to apply them (see `plan`). */
  changes: Change[]
  /** Names of the file's silences that are over: neither created nor compared. */
  over: string[]
}

/** The file cannot be applied to this state; nothing has been changed. */
export class PlanError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot apply the file:\n${problems.map((p) => `  ${p}`).join('\n')}`)
    this.name = 'PlanError'
  }
}

/** JSON with sorted keys and undefined left out: equal values, equal text. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  )
}

/** The fields whose values differ, in the order of `after`'s fields. */
export function changedFields(before: object, after: object): string[] {
  const b = before as Record<string, unknown>
  const a = after as Record<string, unknown>
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])]
  return keys.filter((k) => canonical(b[k]) !== canonical(a[k]))
}

const byKey = <T extends { key: string }>(x: T, y: T) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)
const strategyOf = (c: Change) =>
  c.kind !== 'strategy' ? { node: null, name: c.key } : c.op === 'delete' ? c.before : c.after
const byStrategy = (x: Change, y: Change) => strategyOrder(strategyOf(x), strategyOf(y))

/**
 * The changes that make the server match the file. Pure: `state` is what the API listed.
 *
 * Both sides are normalized with the same schemas (defaults applied, tags canonical), so an item
 * that only differs by an omitted default is no change. A section the file leaves out is not
 * touched. Deletions happen only with `prune`, and only within the file's scope: nodes at or below
 * it, strategies bound there (expressions only when the scope is the whole tree), teams only when
 * the scope is the whole tree.
 *
 * Order: nodes created or updated parents first, then teams, then strategies created or updated,
 * then escalation policies, silences and screens; then strategies, silences, policies and screens
 * deleted, nodes deleted children first, teams deleted. Throws PlanError listing
 * every problem (a missing parent, a node to delete that still has hosts …) before anything is done.
 */
export function plan(file: CodeFile, state: State, opts: { prune?: boolean; now?: number } = {}): Plan {
  const prune = opts.prune ?? false
  const scope = file.scope
  const problems: string[] = []
  const upserts: Change[] = []
  const strategyDeletes: Change[] = []
  const nodeDeletes: Change[] = []
  const teamDeletes: Change[] = []

  const currentNodes = new Map(state.nodes.map((n) => [n.path, n]))
  const desiredNodes = new Map((file.tree ?? []).map((n) => [n.path, n]))
  const deletedNodes = new Set<string>()
  if (file.tree) {
    const nodeChanges: Change[] = []
    file.tree.forEach((d, i) => {
      const cur = currentNodes.get(d.path)
      if (!cur) {
        const parent = parentOf(d.path)
        if (parent !== null && !desiredNodes.has(parent) && !currentNodes.has(parent))
          problems.push(
            `tree[${i}].path: the parent ${parent} does not exist (and is outside the file's scope)`,
          )
      }
      const change = upsert(
        'node',
        d.path,
        d,
        cur && { before: nodeValue(cur), ref: { id: d.path, revision: cur.version } },
      )
      if (change) nodeChanges.push(change)
    })
    upserts.push(...nodeChanges.sort(byKey))
    if (prune) {
      const gone: Change[] = []
      for (const cur of state.nodes)
        if (Tree.within(cur.path, scope) && !desiredNodes.has(cur.path)) {
          deletedNodes.add(cur.path)
          gone.push({
            op: 'delete',
            kind: 'node',
            key: cur.path,
            before: nodeValue(cur),
            ref: { id: cur.path, revision: cur.version },
          })
        }
      nodeDeletes.push(...gone.sort(byKey).reverse()) // children first
    }
  }

  if (file.teams) {
    const current = new Map((state.teams ?? []).map((t) => [t.name, t]))
    const teamChanges: Change[] = []
    for (const d of file.teams) {
      const cur = current.get(d.name)
      const change = upsert(
        'team',
        d.name,
        d,
        cur && { before: teamValue(cur), ref: { id: d.name, revision: cur.revision } },
      )
      if (change) teamChanges.push(change)
    }
    upserts.push(...teamChanges.sort(byKey))
    if (prune && scope === '') {
      const desired = new Set(file.teams.map((t) => t.name))
      for (const cur of state.teams ?? [])
        if (!desired.has(cur.name))
          teamDeletes.push({
            op: 'delete',
            kind: 'team',
            key: cur.name,
            before: teamValue(cur),
            ref: { id: cur.name, revision: cur.revision },
          })
      teamDeletes.sort(byKey)
    }
  }

  const inScope = (node: string | null) => (node === null ? scope === '' : Tree.within(node, scope))
  const deletedStrategies = new Set<string>()
  if (file.strategies) {
    const current = new Map(state.strategies.map((s) => [strategyKey(s), s]))
    const strategyChanges: Change[] = []
    file.strategies.forEach((d, i) => {
      if (!file.tree && d.node !== null && !currentNodes.has(d.node))
        problems.push(`strategies[${i}].node: there is no tree node ${d.node}`)
      const key = strategyKey(d)
      const cur = current.get(key)
      const change = upsert(
        'strategy',
        key,
        d,
        cur && { before: StrategyValue.parse(cur), ref: { id: cur.id, revision: cur.revision } },
      )
      if (change) strategyChanges.push(change)
    })
    upserts.push(...strategyChanges.sort(byStrategy))
    if (prune) {
      const desired = new Set(file.strategies.map(strategyKey))
      const gone: Change[] = []
      for (const cur of state.strategies) {
        const key = strategyKey(cur)
        if (inScope(cur.node) && !desired.has(key)) {
          deletedStrategies.add(cur.id)
          gone.push({
            op: 'delete',
            kind: 'strategy',
            key,
            before: StrategyValue.parse(cur),
            ref: { id: cur.id, revision: cur.revision },
          })
        }
      }
      strategyDeletes.push(...gone.sort(byStrategy))
    }
  }

  // The API deletes a node only when nothing is left on it (no cascade: prune never unbinds hosts).
  for (const path of deletedNodes) {
    const hosts = (state.hosts ?? []).filter((h) => h.nodes.includes(path)).map((h) => h.host)
    if (hosts.length)
      problems.push(
        `node ${path}: to be pruned but hosts are bound to it (${hosts.join(', ')}); bind them elsewhere first`,
      )
    const kept = state.strategies.filter((s) => s.node === path && !deletedStrategies.has(s.id))
    if (kept.length)
      problems.push(
        `node ${path}: to be pruned but strategies are bound to it (${kept.map((s) => s.name).join(', ')}); ` +
          'the file does not manage strategies',
      )
  }
  const now = opts.now ?? Math.floor(Date.now() / 1000)
  const silences = planSilences(file, state, prune, now, problems)
  const bound = { file, prune, nodes: currentNodes, problems }
  const escalation = planBound(
    'escalation',
    { desired: file.escalation, stored: state.escalation, name: 'escalation' },
    (p) => p.node,
    escalationRef,
    bound,
  )
  const screens = planBound(
    'screen',
    { desired: file.screens, stored: state.screens, name: 'screens' },
    screenKey,
    screenRef,
    bound,
  )
  if (problems.length) throw new PlanError(problems)
  // What is bound to nodes goes before them, teams last (strategies and policies name them).
  return {
    scope,
    prune,
    changes: [
      ...upserts,
      ...escalation.upserts,
      ...silences.upserts,
      ...screens.upserts,
      ...strategyDeletes,
      ...silences.deletes,
      ...escalation.deletes,
      ...screens.deletes,
      ...nodeDeletes,
      ...teamDeletes,
    ],
    over: silences.over,
  }
}

/** What the file wants of a section: creates and updates, and (with prune) deletes. */
interface SectionPlan {
  upserts: Change[]
  deletes: Change[]
}

/** The before-value of a stored silence and what an update or delete is based on. */
const silenceRef = (s: ApiSilence) => ({
  before: SilenceValue.parse(pick(s, ['name', 'match', 'schedule', 'reason'])),
  ref: { id: s.id, revision: s.revision },
})

/** Deletes of a section's items, sorted by key. */
function deletes<K extends 'silence' | 'escalation' | 'screen'>(
  kind: K,
  gone: { key: string; before: Values[K]; ref: Ref }[],
): Change[] {
  return gone.map((g) => ({ op: 'delete', kind, ...g }) as Change).sort(byKey)
}

/** Where a silence lies, for messages: its node's path, or why it has none. */
const whereIs = (s: ApiSilence) =>
  s.match.node === undefined
    ? 'on no node'
    : s.match.node === null
      ? 'on a deleted node'
      : `on ${s.match.node}`

/**
 * The file's silences by name. Only named silences in force are the file's to manage: a deploy's
 * unnamed silence and an expired one are left alone, and so is one outside the scope (or on a
 * deleted node), whose name the file then cannot use. A silence of the file that is over is
 * skipped (`over`): creating it would be refused.
 */
function planSilences(
  file: CodeFile,
  state: State,
  prune: boolean,
  now: number,
  problems: string[],
): SectionPlan & { over: string[] } {
  const out = { upserts: [] as Change[], deletes: [] as Change[], over: [] as string[] }
  if (!file.silences) return out
  const named = (state.silences ?? []).filter(
    (s): s is ApiSilence & { name: string } => s.name !== undefined && s.state !== 'expired',
  )
  const current = new Map(named.map((s) => [s.name, s]))
  const inScope = (s: ApiSilence) =>
    s.match.node === undefined
      ? file.scope === ''
      : s.match.node !== null && Tree.within(s.match.node, file.scope)
  file.silences.forEach((d, i) => {
    const cur = current.get(d.name)
    const end = silenceEndsAt(d)
    if (cur && !inScope(cur))
      problems.push(
        `silences[${i}].name: ${d.name} is taken by a silence ${whereIs(cur)}, outside the file's scope`,
      )
    else if (end !== null && end <= now) out.over.push(d.name)
    else {
      const change = upsert('silence', d.name, d, cur && silenceRef(cur))
      if (change) out.upserts.push(change)
    }
  })
  out.upserts.sort(byKey)
  if (!prune) return out
  const desired = new Set(file.silences.map((s) => s.name))
  const gone = named.filter((cur) => inScope(cur) && !desired.has(cur.name))
  out.deletes = deletes(
    'silence',
    gone.map((cur) => ({ key: cur.name, ...silenceRef(cur) })),
  )
  return out
}

/** The before-value of a stored policy and what an update or delete is based on. */
const escalationRef = (p: ApiEscalation & { node: string }) => ({
  before: EscalationValue.parse(pick(p, ['node', 'steps', 'repeatEverySeconds'])),
  ref: { id: p.node, revision: p.revision },
})

/** The before-value of a stored screen and what an update or delete is based on. */
const screenRef = (s: ApiScreen & { node: string }) => ({
  before: ScreenValue.parse(pick(s, ['node', 'name', 'charts'])),
  ref: { id: s.id, revision: s.revision },
})

/**
 * A section of what is bound to tree nodes, each known by `keyOf`: escalation policies by node,
 * screens by node and name. One whose node is gone is left alone; prune deletes within the scope.
 */
function planBound<K extends 'escalation' | 'screen', S extends { node: string | null }>(
  kind: K,
  section: { desired: Values[K][] | undefined; stored: S[] | undefined; name: string },
  keyOf: (x: Values[K] | (S & { node: string })) => string,
  refOf: (cur: S & { node: string }) => { before: Values[K]; ref: Ref },
  ctx: { file: CodeFile; prune: boolean; nodes: Map<string, unknown>; problems: string[] },
): SectionPlan {
  const out = { upserts: [] as Change[], deletes: [] as Change[] }
  if (!section.desired) return out
  const placed = (section.stored ?? []).filter((x): x is S & { node: string } => x.node !== null)
  const current = new Map(placed.map((x) => [keyOf(x), x]))
  section.desired.forEach((d, i) => {
    if (!ctx.file.tree && !ctx.nodes.has(d.node))
      ctx.problems.push(`${section.name}[${i}].node: there is no tree node ${d.node}`)
    const key = keyOf(d)
    const cur = current.get(key)
    const change = upsert(kind, key, d, cur && refOf(cur))
    if (change) out.upserts.push(change)
  })
  out.upserts.sort(byKey)
  if (!ctx.prune) return out
  const desired = new Set(section.desired.map(keyOf))
  const gone = placed.filter((cur) => Tree.within(cur.node, ctx.file.scope) && !desired.has(keyOf(cur)))
  out.deletes = deletes(
    kind,
    gone.map((cur) => ({ key: keyOf(cur), ...refOf(cur) })),
  )
  return out
}

const nodeValue = (n: State['nodes'][number]) =>
  NodeValue.parse(pick(n, ['path', 'owners', 'note', 'excludes']))
const teamValue = (t: NonNullable<State['teams']>[number]) =>
  TeamValue.parse(pick(t, ['name', 'members', 'note']))

/** A create when nothing is there, an update naming the changed fields, or null when equal. */
function upsert<K extends Kind>(
  kind: K,
  key: string,
  after: Values[K],
  current: { before: Values[K]; ref: Ref } | undefined,
): Change | null {
  if (!current) return { op: 'create', kind, key, after } as Change
  const fields = changedFields(current.before, after)
  return fields.length ? ({ op: 'update', kind, key, after, fields, ...current } as Change) : null
}

function pick<T extends object, K extends keyof T>(o: T, keys: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]
  return out
}

export interface Summary {
  create: number
  update: number
  delete: number
}

export function summarize(p: Plan): Summary {
  const s: Summary = { create: 0, update: 0, delete: 0 }
  for (const c of p.changes) s[c.op]++
  return s
}
