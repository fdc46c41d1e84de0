import { describe, expect, it } from 'vitest'
import { ApplyError, applyPlan } from '../src/code/apply.ts'
import { ApiError } from '../src/code/client.ts'
import { condition, describeChange, renderPlan } from '../src/code/diff.ts'
import { exportFile, exportYaml } from '../src/code/export.ts'
import { type CodeFileInput, parseCodeFile, StrategyValue, validate } from '../src/code/format.ts'
import { type Change, plan, type State } from '../src/code/plan.ts'
import { problemsOf, recordingWriter } from './code-helpers.ts'

const strategy = (node: string | null, name: string, extra: Record<string, unknown> = {}) => ({
  node,
  name,
  metric: 'cpu.busy',
  fn: 'all' as const,
  window: '#3',
  threshold: 90,
  ...extra,
})

/** What the API lists: every default filled in, ids and revisions. */
const serverStrategy = (
  node: string | null,
  name: string,
  extra: Record<string, unknown> = {},
  revision = 5,
) => ({
  ...strategy(node, name),
  tags: '',
  operator: '>' as const,
  priority: 3,
  maxNotifications: 3,
  minIntervalSeconds: 300,
  note: '',
  receivers: [],
  enabled: true,
  fn: 'all' as const,
  id: `s_${(node ?? 'expr').replaceAll('.', '_')}_${name}`,
  revision,
  ...extra,
})
const serverNode = (path: string, version = 1, extra: Record<string, unknown> = {}) => ({
  id: `n_${path}`,
  path,
  owners: [],
  note: '',
  excludes: [],
  version,
  ...extra,
})

const state = (): State => ({
  nodes: [serverNode('corp'), serverNode('corp.web', 4), serverNode('corp.web.api'), serverNode('corp.db')],
  strategies: [
    serverStrategy('corp', 'cpu-high', { threshold: 95 }),
    serverStrategy('corp.web', 'web-cpu', { receivers: ['ops'], tags: 'a=1,b=2' }),
    serverStrategy('corp.web.api', 'api-cpu'),
    serverStrategy('corp.db', 'db-cpu'),
    serverStrategy(null, 'errors', { metric: 'app.errors' }),
  ],
  teams: [
    { name: 'ops', members: ['alice'], note: '', revision: 2 },
    { name: 'dba', members: [], note: '', revision: 3 },
  ],
  hosts: [],
})

/** The file that matches state() for scope corp.web, written tersely (defaults left out). */
const webFile = (): CodeFileInput => ({
  scope: 'corp.web',
  tree: [{ path: 'corp.web' }, { path: 'corp.web.api' }],
  strategies: [
    strategy('corp.web', 'web-cpu', { receivers: ['ops'], tags: 'b=2, a=1' }),
    strategy('corp.web.api', 'api-cpu'),
  ],
})

const keys = (changes: Change[]) => changes.map((c) => describeChange(c, false))

describe('plan', () => {
  it('creates everything on an empty server: nodes parents first, then teams, then strategies', () => {
    const file = validate({
      tree: [{ path: 'corp.web' }, { path: 'corp' }, { path: 'corp.web.api' }, { path: 'corp.db' }],
      teams: [{ name: 'ops' }],
      strategies: [strategy('corp.web', 'b'), strategy(null, 'expr'), strategy('corp', 'a')],
    })
    const p = plan(file, { nodes: [], strategies: [], teams: [] })
    expect(keys(p.changes)).toEqual([
      '+ node corp',
      '+ node corp.db',
      '+ node corp.web',
      '+ node corp.web.api',
      '+ team ops',
      '+ strategy corp/a',
      '+ strategy corp.web/b',
      '+ strategy expr (expression)',
    ])
  })

  it('sees no change when the only differences are omitted defaults and tag spelling', () => {
    expect(plan(validate(webFile()), state(), { prune: true }).changes).toEqual([])
  })

  it('updates with the changed fields and the revision or version read', () => {
    const f = webFile()
    f.tree![0] = { path: 'corp.web', note: 'web tier' }
    f.strategies![1] = strategy('corp.web.api', 'api-cpu', { threshold: 80, priority: 1 })
    const p = plan(validate(f), state())
    expect(p.changes).toMatchObject([
      { op: 'update', kind: 'node', key: 'corp.web', fields: ['note'], ref: { id: 'corp.web', revision: 4 } },
      {
        op: 'update',
        kind: 'strategy',
        key: 'corp.web.api/api-cpu',
        fields: ['threshold', 'priority'],
        ref: { id: 's_corp_web_api_api-cpu', revision: 5 },
      },
    ])
    expect(renderPlan(p).split('\n')).toEqual([
      '~ node corp.web: note "" → "web tier"',
      '~ strategy corp.web.api/api-cpu: threshold 90 → 80, priority 3 → 1',
      'Plan: 0 to create, 2 to update, 0 to delete.',
    ])
  })

  it('deletes only with prune, only within the scope: strategies first, then nodes children first', () => {
    const f = validate({ scope: 'corp.web', tree: [{ path: 'corp.web' }], strategies: [] })
    expect(plan(f, state()).changes).toEqual([])
    const p = plan(f, state(), { prune: true })
    expect(keys(p.changes)).toEqual([
      '- strategy corp.web/web-cpu',
      '- strategy corp.web.api/api-cpu',
      '- node corp.web.api',
    ])
    expect(p.changes[1]).toMatchObject({ ref: { id: 's_corp_web_api_api-cpu', revision: 5 } })
    expect(p.changes[2]).toMatchObject({ ref: { id: 'corp.web.api', revision: 1 } })
  })

  it('prunes teams and expressions only when the scope is the whole tree', () => {
    const scoped = validate({ ...webFile(), teams: [{ name: 'ops', members: ['alice'] }] })
    expect(plan(scoped, state(), { prune: true }).changes).toEqual([])
    const whole = validate({
      tree: [{ path: 'corp' }, { path: 'corp.db' }],
      teams: [{ name: 'ops', members: ['alice', 'bob'] }],
      strategies: [strategy('corp', 'cpu-high', { threshold: 95 }), strategy('corp.db', 'db-cpu')],
    })
    expect(describeChange(plan(whole, state(), { prune: true }).changes[0]!)).toBe(
      '~ team ops: members ["alice"] → ["alice","bob"]',
    )
    expect(keys(plan(whole, state(), { prune: true }).changes)).toEqual([
      '~ team ops',
      '- strategy corp.web/web-cpu',
      '- strategy corp.web.api/api-cpu',
      '- strategy errors (expression)',
      '- node corp.web.api',
      '- node corp.web',
      '- team dba',
    ])
  })

  it('leaves a section the file does not have alone, even with prune', () => {
    const onlyStrategies = validate({ scope: 'corp.web', strategies: [strategy('corp.web', 'web-cpu')] })
    expect(keys(plan(onlyStrategies, state(), { prune: true }).changes)).toEqual([
      '~ strategy corp.web/web-cpu',
      '- strategy corp.web.api/api-cpu',
    ])
  })

  it('refuses, listing every problem, what the API would refuse halfway', () => {
    const s = state()
    s.hosts = [{ host: 'api-1', nodes: ['corp.web.api'] }]
    const problems = (f: CodeFileInput, st: State = s) =>
      problemsOf(() => plan(validate(f), st, { prune: true }))
    expect(problems({ scope: 'corp.web', tree: [{ path: 'corp.web' }], strategies: [] })).toEqual([
      'node corp.web.api: to be pruned but hosts are bound to it (api-1); bind them elsewhere first',
    ])
    expect(problems({ scope: 'corp.web', tree: [{ path: 'corp.web' }] }, state())).toEqual([
      'node corp.web.api: to be pruned but strategies are bound to it (api-cpu); the file does not manage strategies',
    ])
    expect(problems({ scope: 'lab.x', tree: [{ path: 'lab.x' }] })).toEqual([
      "tree[0].path: the parent lab does not exist (and is outside the file's scope)",
    ])
    expect(problems({ scope: 'corp', strategies: [strategy('corp.nope', 'x')] })).toEqual([
      'strategies[0].node: there is no tree node corp.nope',
    ])
  })
})

describe('the file', () => {
  const problems = (yaml: string) => problemsOf(() => parseCodeFile(yaml, 'x.yaml'))

  it('names the item, the field and the line of every problem', () => {
    const yaml = [
      'tree:',
      '  - path: corp',
      'strategies:',
      '  - { node: corp, name: a, metric: m, fn: all, window: "#3", threshold: 1 }',
      '  - node: corp',
      '    name: b',
      '    metric: m',
      '    fn: all',
      '    window: "#3"',
      '    threshold: high',
      '  - name: c',
      '    metric: m',
      '    fn: all',
      '    window: "#3"',
      '    threshold: 1',
      '    treshold: 2',
    ].join('\n')
    expect(problems(yaml)).toEqual([
      'strategies[1].threshold: expected number, received string (line 10)',
      'strategies[2].node: required (string) (line 11)',
      'strategies[2]: Unrecognized key: "treshold" (line 11)',
    ])
  })

  it('refuses unknown fields inside nested objects too, as the API does', () => {
    const yaml = `
tree:
  - path: corp
    excludes: [{ metric: m, tag: "a=1" }]
strategies:
  - node: corp
    name: a
    metric: m
    fn: all
    window: "#3"
    threshold: 1
    activeWindow: { from: "08:00", to: "20:00", tz: UTC }
`
    expect(problems(yaml)).toEqual([
      'tree[0].excludes[0]: Unrecognized key: "tag" (line 4)',
      'strategies[0].activeWindow: Unrecognized key: "tz" (line 12)',
    ])
  })

  it('checks identities, scope and parents across items', () => {
    const yaml = `
scope: corp.web
tree:
  - path: corp.web
  - path: corp.web.api.v1
  - path: corp.db
  - path: corp.web
teams: [{ name: ops }, { name: ops }]
strategies:
  - { node: corp.web, name: a, metric: m, fn: all, window: "#3", threshold: 1 }
  - { node: corp.web, name: a, metric: m, fn: all, window: "#3", threshold: 2 }
  - { node: null, name: e, metric: m, fn: all, window: "#3", threshold: 1 }
  - { node: corp.web.other, name: a, metric: m, fn: all, window: "#3", threshold: 1 }
`
    expect(problems(yaml)).toEqual([
      "tree[2].path: corp.db is outside the file's scope corp.web (line 6)",
      'tree[3].path: corp.web is also tree[0] (line 7)',
      'tree[1].path: its parent corp.web.api is within the scope, so the file must list it too (line 5)',
      'teams[1].name: ops is also teams[0] (line 8)',
      'strategies[1].name: corp.web/a is also strategies[0] (line 11)',
      'strategies[2].node: expressions (node: null) belong in a file whose scope is the whole tree (line 12)',
      'strategies[3].node: corp.web.other is not listed under tree: (line 13)',
    ])
  })

  it('reports YAML syntax errors with their line, and accepts an empty file', () => {
    expect(problems('tree:\n  - path: corp\n  - [oops\n')[0]).toMatch(/^YAML line \d+: /)
    expect(problems('scope: Bad Scope')).toEqual(['scope: a dotted path of node names (line 1)'])
    expect(
      problems('strategies:\n  - { node: null, name: l, metric: m, fn: lookup, window: "#3", threshold: 1 }'),
    ).toEqual(['strategies[0].hits: lookup needs hits (M of N) (line 2)'])
    expect(parseCodeFile('', 'empty.yaml')).toEqual({ scope: '' })
  })
})

describe('export', () => {
  it('writes a stable, terse file that plans to nothing against the same state', () => {
    const s = state()
    const whole = exportFile(s, '')
    expect(whole.tree).toEqual([
      { path: 'corp' },
      { path: 'corp.db' },
      { path: 'corp.web' },
      { path: 'corp.web.api' },
    ])
    expect((whole.strategies ?? []).map((x) => `${x.node}/${x.name}`)).toEqual([
      'corp/cpu-high',
      'corp.db/db-cpu',
      'corp.web/web-cpu',
      'corp.web.api/api-cpu',
      'null/errors',
    ])
    expect(whole.strategies?.[2]).toEqual({
      name: 'web-cpu',
      node: 'corp.web',
      metric: 'cpu.busy',
      tags: 'a=1,b=2',
      fn: 'all',
      window: '#3',
      threshold: 90,
      receivers: ['ops'],
    })
    s.hosts = []
    expect(plan(parseCodeFile(exportYaml(s, ''), 'export.yaml'), s, { prune: true }).changes).toEqual([])
    const web = parseCodeFile(exportYaml(s, 'corp.web'), 'web.yaml')
    expect(web.teams).toBeUndefined()
    expect(plan(web, s, { prune: true }).changes).toEqual([])
    expect(exportYaml(s, 'corp.web')).toBe(exportYaml(structuredClone(s), 'corp.web'))
    expect(() => exportFile(s, 'corp.none')).toThrow('there is no tree node corp.none')
  })
})

describe('apply', () => {
  it('makes the changes in order with the revisions read, and stops at the first error', async () => {
    const { calls, writer: fake } = recordingWriter((name) =>
      name === 'deleteStrategy'
        ? new ApiError(403, 'this needs the editor role; the token is viewer')
        : undefined,
    )
    const f = validate({
      scope: 'corp.web',
      tree: [{ path: 'corp.web', note: 'x' }, { path: 'corp.web.new' }],
      strategies: [],
    })
    const p = plan(f, state(), { prune: true })
    const err = await applyPlan(fake, p).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApplyError)
    expect((err as ApplyError).message).toBe(
      '- strategy corp.web/web-cpu failed: this needs the editor role; the token is viewer (HTTP 403)\n' +
        '2 of 5 changes were applied before it; the rest were not attempted',
    )
    expect(calls).toEqual([
      'updateNode ["corp.web","…",4]',
      'createNode ["corp.web.new","…"]',
      'deleteStrategy ["s_corp_web_web-cpu",5]',
    ])
  })
})

describe('condition text', () => {
  it('names extra conditions with their combination', () => {
    const s = StrategyValue.parse({
      ...strategy('corp', 'busy'),
      also: [
        { metric: 'load.1min', fn: 'avg', window: '5m', threshold: 8 },
        { metric: 'df', tags: 'mount=/', fn: 'lookup', window: '#3', hits: 2, threshold: 95 },
      ],
      combine: 'or',
    })
    expect(condition(s)).toBe(
      'cpu.busy all(#3) > 90 or load.1min avg(5m) > 8 or df{mount=/} lookup(#3,2) > 95',
    )
    expect(condition(StrategyValue.parse(strategy('corp', 'plain')))).toBe('cpu.busy all(#3) > 90')
  })
})
