import { Tree } from '@peregrine/common'
import { stringify } from 'yaml'
import {
  type CodeFileInput,
  EscalationValue,
  NodeValue,
  ScreenValue,
  SilenceValue,
  StrategyValue,
  strategyOrder,
  TeamValue,
} from './format.ts'
import { canonical, type State } from './plan.ts'

/** Defaults of each kind: what a minimal item becomes once parsed. */
const NODE_DEFAULTS = NodeValue.parse({ path: 'x' }) as Record<string, unknown>
const TEAM_DEFAULTS = TeamValue.parse({ name: 'x' }) as Record<string, unknown>
const STRATEGY_DEFAULTS = StrategyValue.parse({
  name: 'x',
  metric: 'x',
  fn: 'all',
  window: '#1',
  threshold: 0,
  node: null,
}) as Record<string, unknown>
/** Always written, even when equal to what the minimal item has. */
const REQUIRED = new Set(['path', 'name', 'node', 'metric', 'fn', 'window', 'threshold'])

/** The fields in `order`, leaving out undefined ones and those equal to their default. */
function compact(value: object, order: string[], defaults: Record<string, unknown>) {
  const v = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const k of order) {
    if (v[k] === undefined) continue
    if (!REQUIRED.has(k) && k in defaults && canonical(v[k]) === canonical(defaults[k])) continue
    out[k] = v[k]
  }
  return out
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)
const NODE_ORDER = ['path', 'owners', 'note', 'excludes']
const TEAM_ORDER = ['name', 'members', 'note']
const STRATEGY_ORDER = [
  'name',
  'node',
  ...Object.keys(StrategyValue.shape).filter((k) => k !== 'name' && k !== 'node'),
]
const SILENCE_ORDER = ['name', 'match', 'schedule', 'reason']
const ESCALATION_ORDER = ['node', 'steps', 'repeatEverySeconds']
const SCREEN_ORDER = ['node', 'name', 'charts']

/** Named silences in force within the scope (one on no node only in a whole-tree file), by name. */
function silencesOf(state: State, scope: string) {
  return (state.silences ?? [])
    .filter((s) => s.name !== undefined && s.state !== 'expired')
    .filter((s) =>
      s.match.node === undefined ? scope === '' : s.match.node !== null && Tree.within(s.match.node, scope),
    )
    .map((s) => SilenceValue.parse(s))
    .sort((a, b) => cmp(a.name, b.name))
    .map((s) => compact(s, SILENCE_ORDER, {}))
}

/** The policies on nodes within the scope, by node. */
function escalationOf(state: State, scope: string) {
  return (state.escalation ?? [])
    .flatMap((p) => (p.node !== null && Tree.within(p.node, scope) ? [EscalationValue.parse(p)] : []))
    .sort((a, b) => cmp(a.node, b.node))
    .map((p) => compact(p, ESCALATION_ORDER, {}))
}

/** The screens on nodes within the scope, by node then name; a query's empty tags left out. */
function screensOf(state: State, scope: string) {
  return (state.screens ?? [])
    .flatMap((s) => (s.node !== null && Tree.within(s.node, scope) ? [ScreenValue.parse(s)] : []))
    .sort((a, b) => cmp(a.node, b.node) || cmp(a.name, b.name))
    .map((s) => {
      const charts = s.charts.map((c) => ({
        ...c,
        queries: c.queries.map((q) => (q.tags ? q : { endpoint: q.endpoint, metric: q.metric })),
      }))
      return compact({ ...s, charts }, SCREEN_ORDER, {})
    })
}

/**
 * The file that describes `scope` as it is: its nodes, the strategies bound there (and the
 * expressions and the teams when the scope is the whole tree), the named silences in force, the
 * escalation policies and the screens there. Stable: nodes by path, strategies and screens by node
 * then name (expressions last), teams and silences by name, policies by node; fields in a fixed
 * order, defaults left out.
 * Applying it to the same server changes nothing.
 */
export function exportFile(state: State, scope: string): CodeFileInput {
  if (scope !== '' && !state.nodes.some((n) => n.path === scope))
    throw new Error(`there is no tree node ${scope}`)
  const tree = state.nodes
    .filter((n) => Tree.within(n.path, scope))
    .map((n) => NodeValue.parse(n))
    .sort((a, b) => cmp(a.path, b.path))
    .map((n) => {
      const excludes = n.excludes.map((e) => (e.tags ? e : { metric: e.metric }))
      return compact({ ...n, excludes }, NODE_ORDER, NODE_DEFAULTS)
    })
  const strategies = state.strategies
    .filter((s) => (s.node === null ? scope === '' : Tree.within(s.node, scope)))
    .map((s) => StrategyValue.parse(s))
    .sort(strategyOrder)
    .map((s) => compact(s, STRATEGY_ORDER, STRATEGY_DEFAULTS))
  const file: Record<string, unknown> = {}
  if (scope !== '') file.scope = scope
  file.tree = tree
  if (scope === '')
    file.teams = (state.teams ?? [])
      .map((t) => TeamValue.parse(t))
      .sort((a, b) => cmp(a.name, b.name))
      .map((t) => compact(t, TEAM_ORDER, TEAM_DEFAULTS))
  file.strategies = strategies
  file.silences = silencesOf(state, scope)
  file.escalation = escalationOf(state, scope)
  file.screens = screensOf(state, scope)
  return file as CodeFileInput
}

export function exportYaml(state: State, scope: string): string {
  const header =
    `# Peregrine configuration of ${scope || 'the whole tree'}, written by \`peregrine export\`.\n` +
    '# Edit, then `peregrine diff -f <this file>` and `peregrine apply -f <this file>`.\n'
  return header + stringify(exportFile(state, scope), { lineWidth: 0 })
}
