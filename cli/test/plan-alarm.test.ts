// The silences and escalation sections of strategies-as-code, planned against a listed state:
// identity by name and node, scope, what is never the file's (unnamed, expired, elsewhere), the
// silences of the file that are over, export round trips and the order of apply.
import { describe, expect, it } from 'vitest'
import { applyPlan } from '../src/code/apply.ts'
import type { ApiEscalation, ApiSilence } from '../src/code/client.ts'
import { describeChange, renderPlan, scheduleText, stepsText } from '../src/code/diff.ts'
import { exportFile, exportYaml } from '../src/code/export.ts'
import { type CodeFileInput, parseCodeFile, validate } from '../src/code/format.ts'
import { type Change, plan, type State } from '../src/code/plan.ts'
import { problemsOf, recordingWriter } from './code-helpers.ts'

const NOW = 1_800_000_000
const weekly = { kind: 'weekly' as const, days: [0], start: '02:00', end: '04:00', timeZone: 'Europe/Berlin' }

/** A silence as the API lists it. */
const apiSilence = (
  name: string | undefined,
  node: string | null | undefined,
  extra: Partial<ApiSilence> = {},
) =>
  ({
    id: `si_${name ?? 'anon'}`,
    ...(name === undefined ? {} : { name }),
    match: node === undefined ? { metric: 'cpu.busy' } : { node },
    schedule: weekly,
    reason: 'maintenance',
    createdBy: 'admin',
    createdAt: NOW - 100,
    state: 'scheduled',
    revision: 7,
    ...extra,
  }) as ApiSilence

const apiPolicy = (node: string | null, revision = 3): ApiEscalation => ({
  node,
  nodeId: `n_${node}`,
  steps: [{ afterSeconds: 600, teams: ['ops'] }],
  revision,
})

const node = (path: string) => ({ id: `n_${path}`, path, owners: [], note: '', excludes: [], version: 1 })

const state = (): State => ({
  nodes: [node('corp'), node('corp.web'), node('corp.web.api'), node('corp.db')],
  strategies: [],
  silences: [
    apiSilence('web-maint', 'corp.web'),
    apiSilence('db-maint', 'corp.db'),
    apiSilence(undefined, 'corp.web', { id: 'si_deploy' }), // a deploy's: never the file's
    apiSilence('old', 'corp.web', { state: 'expired' }),
    apiSilence('orphan', null),
    apiSilence('global', undefined),
  ],
  escalation: [apiPolicy('corp.web'), apiPolicy('corp.db'), apiPolicy(null)],
})

const silence = (name: string, node: string, extra: object = {}) => ({
  name,
  match: { node },
  schedule: weekly,
  reason: 'maintenance',
  ...extra,
})
const webFile = (): CodeFileInput => ({
  scope: 'corp.web',
  silences: [silence('web-maint', 'corp.web')],
  escalation: [{ node: 'corp.web', steps: [{ afterSeconds: 600, teams: ['ops'] }] }],
})

const keys = (changes: Change[]) => changes.map((c) => describeChange(c, false))
const planOf = (f: CodeFileInput, s = state(), prune = false) => plan(validate(f), s, { prune, now: NOW })

describe('silences and escalation in the plan', () => {
  it('sees no change when the server matches, even with prune', () => {
    expect(planOf(webFile(), state(), true).changes).toEqual([])
  })

  it('creates and updates by name and node, after the nodes and teams they need', () => {
    const f = webFile()
    f.tree = [{ path: 'corp.web' }, { path: 'corp.web.api' }, { path: 'corp.web.new' }]
    f.silences = [
      silence('web-maint', 'corp.web', { reason: 'patch night' }),
      silence('api-maint', 'corp.web.api'),
    ]
    f.escalation = [
      { node: 'corp.web', steps: [{ afterSeconds: 300, teams: ['ops'] }], repeatEverySeconds: 3600 },
      { node: 'corp.web.new', steps: [{ afterSeconds: 0, teams: ['ops'] }] },
    ]
    const p = planOf(f)
    expect(keys(p.changes)).toEqual([
      '+ node corp.web.new',
      '~ escalation corp.web',
      '+ escalation corp.web.new',
      '+ silence api-maint',
      '~ silence web-maint',
    ])
    expect(p.changes[1]).toMatchObject({
      fields: ['steps', 'repeatEverySeconds'],
      ref: { id: 'corp.web', revision: 3 },
    })
    expect(describeChange(p.changes[4]!)).toBe('~ silence web-maint: reason "maintenance" → "patch night"')
    expect(p.changes[4]).toMatchObject({ ref: { id: 'si_web-maint', revision: 7 } })
  })

  it('prunes only named silences in force and policies within the scope', () => {
    const p = planOf({ scope: 'corp.web', silences: [], escalation: [] }, state(), true)
    expect(keys(p.changes)).toEqual(['- silence web-maint', '- escalation corp.web'])
    // A whole-tree file also owns the silence on no node; never the deploy's, expired or orphaned.
    const whole = planOf({ silences: [], escalation: [] }, state(), true)
    expect(keys(whole.changes)).toEqual([
      '- silence db-maint',
      '- silence global',
      '- silence web-maint',
      '- escalation corp.db',
      '- escalation corp.web',
    ])
  })

  it("skips the file's silences that are over and says so", () => {
    const over = silence('last-week', 'corp.web', {
      schedule: { kind: 'once', from: NOW - 7200, to: NOW - 3600 },
    })
    const p = planOf({ scope: 'corp.web', silences: [silence('web-maint', 'corp.web'), over] })
    expect(p.changes).toEqual([])
    expect(p.over).toEqual(['last-week'])
    expect(renderPlan(p).split('\n')).toEqual([
      '(silence last-week is over: not applied; remove it from the file)',
      'No changes: the server matches the file.',
    ])
  })

  it('refuses a name taken outside the scope, and a policy on a node that does not exist', () => {
    const problems = (f: CodeFileInput) => problemsOf(() => planOf(f))
    expect(problems({ scope: 'corp.web', silences: [silence('db-maint', 'corp.web')] })).toEqual([
      "silences[0].name: db-maint is taken by a silence on corp.db, outside the file's scope",
    ])
    expect(problems({ scope: 'corp.web', silences: [silence('orphan', 'corp.web')] })).toEqual([
      "silences[0].name: orphan is taken by a silence on a deleted node, outside the file's scope",
    ])
    expect(
      problems({
        scope: 'corp',
        escalation: [{ node: 'corp.nope', steps: [{ afterSeconds: 0, teams: ['x'] }] }],
      }),
    ).toEqual(['escalation[0].node: there is no tree node corp.nope'])
  })
})

describe('silences and escalation in the file', () => {
  const problems = (yaml: string) => problemsOf(() => parseCodeFile(yaml, 'x.yaml'))

  it('checks every field, naming item, field and line', () => {
    const yaml = `
silences:
  - { match: { node: corp.web }, schedule: { kind: weekly, days: [8], start: "2:00", end: "03:00", timeZone: UTC }, reason: x }
escalation:
  - { node: corp.web, steps: [{ afterSeconds: 60, teams: [ops] }], repeat: 5 }
  - { node: corp.web.api, steps: [] }
`
    expect(problems(yaml)).toEqual([
      'silences[0].name: required (string) (line 3)',
      'silences[0].schedule.days[0]: Too big: expected number to be <=6 (line 3)',
      'silences[0].schedule.start: HH:MM (line 3)',
      'escalation[0]: Unrecognized key: "repeat" (line 5)',
      'escalation[1].steps: Too small: expected array to have >=1 items (line 6)',
    ])
  })

  it('checks identities and scope across items', () => {
    const once = 'schedule: { kind: once, from: 1, to: 2 }, reason: x'
    const steps = 'steps: [{ afterSeconds: 60, teams: [ops] }]'
    const yaml = `
scope: corp.web
tree: [{ path: corp.web }]
silences:
  - { name: a, match: { node: corp.web }, ${once} }
  - { name: a, match: { node: corp.db }, ${once} }
  - { name: b, match: { hosts: [web-1] }, ${once} }
escalation:
  - { node: corp.web, ${steps} }
  - { node: corp.web, ${steps} }
  - { node: corp.web.api, ${steps} }
`
    expect(problems(yaml)).toEqual([
      "silences[1].match.node: corp.db is outside the file's scope corp.web (line 6)",
      'silences[1].name: a is also silences[0] (line 6)',
      'silences[2].match.node: a silence in a scoped file names a node within the scope (line 7)',
      'escalation[1].node: corp.web is also escalation[0] (line 10)',
      'escalation[2].node: corp.web.api is not listed under tree: (line 11)',
    ])
  })
})

describe('export and apply', () => {
  it('exports the named silences in force and the policies of the scope, and plans to nothing', () => {
    const s = state()
    const web = exportFile(s, 'corp.web')
    expect(web.silences).toEqual([
      { name: 'web-maint', match: { node: 'corp.web' }, schedule: weekly, reason: 'maintenance' },
    ])
    expect(web.escalation).toEqual([{ node: 'corp.web', steps: [{ afterSeconds: 600, teams: ['ops'] }] }])
    expect(exportFile(s, '').silences?.map((x) => x.name)).toEqual(['db-maint', 'global', 'web-maint'])
    for (const scope of ['', 'corp.web']) {
      const file = parseCodeFile(exportYaml(s, scope), 'export.yaml')
      expect(plan(file, { ...s, hosts: [] }, { prune: true, now: NOW }).changes).toEqual([])
    }
  })

  it('applies through the silence and escalation routes with the revisions read', async () => {
    const { calls, writer } = recordingWriter()
    const f = webFile()
    f.silences = [silence('web-maint', 'corp.web', { reason: 'r' }), silence('new', 'corp.web')]
    f.escalation = [{ node: 'corp.web.api', steps: [{ afterSeconds: 0, teams: ['ops'] }] }]
    await applyPlan(writer, planOf(f, state(), true))
    expect(calls).toEqual([
      'putEscalation ["corp.web.api","…",null]',
      'createSilence ["…"]',
      'updateSilence ["si_web-maint","…",7]',
      'deleteEscalation ["corp.web",3]',
    ])
  })
})

describe('plan text', () => {
  it('writes schedules and steps as people read them', () => {
    expect(scheduleText({ kind: 'once', from: NOW, to: NOW + 5400 })).toBe(
      'once 2027-01-15T08:00Z–2027-01-15T09:30Z',
    )
    expect(scheduleText({ ...weekly, days: [0, 6], until: NOW })).toBe(
      'weekly Sun,Sat 02:00–04:00 Europe/Berlin until 2027-01-15T08:00Z',
    )
    expect(
      stepsText([
        { afterSeconds: 0, teams: ['a', 'b'] },
        { afterSeconds: 900, teams: ['c'] },
      ]),
    ).toBe('0s a+b, 900s c')
  })
})
