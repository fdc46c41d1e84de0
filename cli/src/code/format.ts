import {
  AlarmName,
  escalationFields,
  matchShape,
  NodeCreate,
  NodePath,
  NodeSpec,
  ScreenCreate,
  SilenceCreate,
  SilenceSchedule,
  StrategyCreate,
  StrategySpec,
  screenFields,
  silenceFields,
  Team,
  Tree,
} from '@peregrine/common'
import { isNode, LineCounter, parseDocument } from 'yaml'
import { z } from 'zod'

/**
 * The strategies-as-code file: the tree nodes, teams, strategies, named silences, escalation
 * policies and screens of a scope, as a team keeps them in git. See docs/strategies-as-code.md.
 *
 * Identity: nodes by `path`, teams by `name`, strategies by (`node`, `name`), silences by `name`,
 * escalation policies by `node`, screens by (`node`, `name`). A strategy's `node` is required: a tree path, or `null` for an
 * expression (a strategy bound to no node). A section left out is not managed by the file:
 * nothing of that kind is created, changed or deleted. An empty list (`strategies: []`) manages
 * that kind and wants none of it. Silences without a name (a deploy's, made through the API) are
 * never the file's.
 */

/** A node, as in the API's create body. Unknown fields are errors: a typo must not be ignored. */
export const NodeEntry = NodeCreate
export type NodeEntry = z.output<typeof NodeEntry>

export const TeamEntry = Team.strict()
export type TeamEntry = z.output<typeof TeamEntry>

/** Where a strategy is bound: a tree path, or null for an expression. */
const StrategyNode = NodePath.nullable()

/** As in the API's create body: every StrategySpec field (with its defaults) plus `node`; strict. */
export const StrategyEntry = StrategyCreate
export type StrategyEntry = z.output<typeof StrategyEntry>

/** As in the API's create body, with a name: the file refers to silences by name. */
export const SilenceEntry = SilenceCreate.safeExtend({ name: AlarmName }).strict()
export type SilenceEntry = z.output<typeof SilenceEntry>

/** As in the API's body, with the node (a path) it is on. */
export const EscalationEntry = z.strictObject({ node: NodePath, ...escalationFields })
export type EscalationEntry = z.output<typeof EscalationEntry>

/** As in the API's create body: the node (a path), the name and the charts in grid order. */
export const ScreenEntry = ScreenCreate
export type ScreenEntry = z.output<typeof ScreenEntry>

/** The same shapes without the strictness: to normalize what the API returns (ids, revisions …). */
export const NodeValue = NodeSpec
export const TeamValue = Team
export const StrategyValue = StrategySpec.safeExtend({ node: StrategyNode })
export const SilenceValue = z.object({
  ...silenceFields,
  name: AlarmName,
  match: z.object(matchShape(NodePath)),
  schedule: SilenceSchedule,
})
export const EscalationValue = z.object({ node: NodePath, ...escalationFields })
export const ScreenValue = z.object({ node: NodePath, ...screenFields })

/** '' (or absent, or null) is the whole tree. */
export const Scope = z
  .union([z.literal(''), NodePath])
  .nullable()
  .default('')
  .transform((s) => s ?? '')

const FileShape = z.strictObject({
  scope: Scope,
  tree: z.array(NodeEntry).optional(),
  teams: z.array(TeamEntry).optional(),
  strategies: z.array(StrategyEntry).optional(),
  silences: z.array(SilenceEntry).optional(),
  escalation: z.array(EscalationEntry).optional(),
  screens: z.array(ScreenEntry).optional(),
})

/** The parent path of a node path, or null for a top-level node. */
export function parentOf(path: string): string | null {
  const i = path.lastIndexOf('.')
  return i < 0 ? null : path.slice(0, i)
}

/** How a strategy is named in messages: `corp.web/cpu-high`, or `api-errors (expression)`. */
export function strategyKey(s: { node: string | null; name: string }): string {
  return s.node === null ? `${s.name} (expression)` : `${s.node}/${s.name}`
}

/** How a screen is named in messages, like a bound strategy: `corp.web/Web overview`. */
export const screenKey = (s: { node: string; name: string }) => strategyKey(s)

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Strategies in a stable order: by node path, then name; expressions last. */
export function strategyOrder(
  a: { node: string | null; name: string },
  b: { node: string | null; name: string },
) {
  if (a.node === b.node) return cmp(a.name, b.name)
  return a.node === null ? 1 : b.node === null ? -1 : cmp(a.node, b.node)
}

type File = z.output<typeof FileShape>
type Path = (string | number)[]

/**
 * Checks each item of a section in file order: `check` (placement), then that no earlier item has
 * its key (`x is also section[i]`, at `field`).
 */
function eachItem<T>(
  ctx: z.RefinementCtx,
  section: string,
  items: readonly T[] | undefined,
  keyOf: (item: T) => string,
  field: Path,
  check: (item: T, i: number) => void = () => undefined,
): void {
  const seen = new Map<string, number>()
  items?.forEach((item, i) => {
    check(item, i)
    const key = keyOf(item)
    const first = seen.get(key)
    if (first !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [section, i, ...field],
        message: `${key} is also ${section}[${first}]`,
      })
    else seen.set(key, i)
  })
}

const outside = (path: string, scope: string) => `${path} is outside the file's scope ${scope}`

/** Nodes within the scope, each listed once, with their parents within the scope listed too. */
function checkTree(f: File, ctx: z.RefinementCtx): void {
  eachItem(
    ctx,
    'tree',
    f.tree,
    (n) => n.path,
    ['path'],
    (n, i) => {
      if (!Tree.within(n.path, f.scope))
        ctx.addIssue({ code: 'custom', path: ['tree', i, 'path'], message: outside(n.path, f.scope) })
    },
  )
  const listed = new Set(f.tree?.map((n) => n.path))
  f.tree?.forEach((n, i) => {
    const parent = parentOf(n.path)
    if (parent !== null && Tree.within(parent, f.scope) && !listed.has(parent))
      ctx.addIssue({
        code: 'custom',
        path: ['tree', i, 'path'],
        message: `its parent ${parent} is within the scope, so the file must list it too`,
      })
  })
}

/** What an item is bound to is within the scope and, when the file has a tree, listed in it. */
function checkPlaced(f: File, ctx: z.RefinementCtx, node: string, at: Path): void {
  if (!Tree.within(node, f.scope)) ctx.addIssue({ code: 'custom', path: at, message: outside(node, f.scope) })
  else if (f.tree && !f.tree.some((n) => n.path === node))
    ctx.addIssue({ code: 'custom', path: at, message: `${node} is not listed under tree:` })
}

/** An item's node within the scope; one on no node (an expression, a silence on hosts) in whole-tree files only. */
function checkNode(
  f: File,
  ctx: z.RefinementCtx,
  node: string | null | undefined,
  at: Path,
  unplaced: string,
) {
  if (node !== null && node !== undefined) checkPlaced(f, ctx, node, at)
  else if (f.scope !== '') ctx.addIssue({ code: 'custom', path: at, message: unplaced })
}

/** The rules across items: scope, uniqueness, parents listed, items on known nodes. */
function checkFile(f: File, ctx: z.RefinementCtx): void {
  checkTree(f, ctx)
  eachItem(ctx, 'teams', f.teams, (t) => t.name, ['name'])
  const expression = 'expressions (node: null) belong in a file whose scope is the whole tree'
  eachItem(ctx, 'strategies', f.strategies, strategyKey, ['name'], (s, i) =>
    checkNode(f, ctx, s.node, ['strategies', i, 'node'], expression),
  )
  const unplaced = 'a silence in a scoped file names a node within the scope'
  eachItem(
    ctx,
    'silences',
    f.silences,
    (s) => s.name,
    ['name'],
    (s, i) => checkNode(f, ctx, s.match.node, ['silences', i, 'match', 'node'], unplaced),
  )
  eachItem(
    ctx,
    'escalation',
    f.escalation,
    (e) => e.node,
    ['node'],
    (e, i) => checkPlaced(f, ctx, e.node, ['escalation', i, 'node']),
  )
  eachItem(ctx, 'screens', f.screens, screenKey, ['name'], (s, i) =>
    checkPlaced(f, ctx, s.node, ['screens', i, 'node']),
  )
}

export const CodeFile = FileShape.superRefine(checkFile)
export type CodeFile = z.output<typeof CodeFile>
/** What one writes (defaults may be left out). */
export type CodeFileInput = z.input<typeof CodeFile>

/** A file that cannot be used; `problems` are one line each, e.g. `strategies[3].threshold: …`. */
export class FileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`${file} is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`)
    this.name = 'FileError'
  }
}

/** `['strategies', 3, 'threshold']` → `strategies[3].threshold`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`
  return out || '(file)'
}

const required: z.core.$ZodErrorMap = (iss) =>
  iss.code === 'invalid_type' && iss.input === undefined ? `required (${iss.expected})` : undefined

/** Validates a parsed value (e.g. built in code) as a file; problems as `path: message`. */
export function validate(data: unknown, file = 'file'): CodeFile {
  const r = CodeFile.safeParse(data ?? {}, { error: required })
  if (r.success) return r.data
  throw new FileError(file, issuesOf(r.error))
}

function issuesOf(error: z.ZodError, lineOf?: (path: readonly PropertyKey[]) => number | undefined) {
  return error.issues.slice(0, 50).map((iss) => {
    const message = iss.message.replace(/^Invalid input: /, '')
    const line = lineOf?.(iss.path)
    return `${formatPath(iss.path)}: ${message}${line ? ` (line ${line})` : ''}`
  })
}

/**
 * Parses and validates the YAML text of a file, all of it: nothing is applied from a file with a
 * problem. Problems name the item and field (`strategies[3].threshold: expected number, received
 * string (line 42)`).
 */
export function parseCodeFile(text: string, file = 'file'): CodeFile {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false })
  if (doc.errors.length)
    throw new FileError(
      file,
      doc.errors.map((e) => `YAML line ${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`),
    )
  const data = doc.toJS() ?? {}
  const r = CodeFile.safeParse(data, { error: required })
  if (r.success) return r.data
  const lineOf = (path: readonly PropertyKey[]) => {
    // The deepest node of the path that is in the document (a missing field: its item).
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as (string | number)[], true)
      if (isNode(node) && node.range) return lines.linePos(node.range[0]).line
    }
    return undefined
  }
  throw new FileError(file, issuesOf(r.error, lineOf))
}
