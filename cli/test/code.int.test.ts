import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import { startTestApi, type TestApi } from '@peregrine/dashboard/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApplyError, applyPlan } from '../src/code/apply.ts'
import { PeregrineClient, readState } from '../src/code/client.ts'
import { type Io, runApply, runExport } from '../src/code/commands.ts'
import { renderPlan } from '../src/code/diff.ts'
import { type CodeFile, parseCodeFile } from '../src/code/format.ts'
import { canonical, type Plan, plan } from '../src/code/plan.ts'
import { runCli } from './run-cli.ts'

let testApi: TestApi
let dir: TempDir
let api: string
let admin: string
let client: PeregrineClient

/** The web team's file: scope corp.web, its nodes, a team and three strategies. */
const WEB = `
scope: corp.web
tree:
  - path: corp.web
    owners: [alice]
  - path: corp.web.api
    note: the API servers
    excludes:
      - { metric: df.bytes.used.percent, tags: "mount=/boot" }
teams:
  - name: web-oncall
    members: [alice, bob]
strategies:
  - name: web-cpu
    node: corp.web
    metric: cpu.busy
    fn: all
    window: "#3"
    threshold: 90
    receivers: [web-oncall]
  - name: web-disk
    node: corp.web
    metric: df.bytes.used.percent
    tags: "mount=/, fstype=ext4"
    fn: max
    window: 5m
    operator: ">="
    threshold: 95
    priority: 1
  - name: api-errors
    node: corp.web.api
    metric: http.5xx
    fn: lookup
    window: "#5"
    hits: 3
    threshold: 10
    activeWindow: { from: "08:00", to: "20:00" }
`

async function planOf(yaml: string, prune = false, as = client): Promise<{ file: CodeFile; plan: Plan }> {
  const file = parseCodeFile(yaml, 'web.yaml')
  const state = await readState(as, { teams: file.teams !== undefined, hosts: prune })
  return { file, plan: plan(file, state, { prune }) }
}

/** Everything on the server, to compare before and after. */
const snapshot = async () => canonical(await readState(client, { teams: true, hosts: true }))

function capture(env: NodeJS.ProcessEnv = {}): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = []
  const stderr: string[] = []
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env }
}

const cli = (args: string[], token = admin) => runCli(args, { PEREGRINE_API: api, PEREGRINE_TOKEN: token })

beforeAll(async () => {
  testApi = await startTestApi({ listen: true })
  dir = await tempDir()
  admin = testApi.admin!
  api = testApi.url!
  client = new PeregrineClient(api, admin)
  // What the web team's file does not manage: the parent node, another subtree, an expression.
  await client.createNode('corp', { owners: ['ops'] })
  await client.createNode('corp.db', {})
  const base = { metric: 'cpu.busy', fn: 'all', window: '#3', threshold: 80 } as const
  await client.createStrategy({ ...base, name: 'db-cpu', node: 'corp.db' })
  await client.createStrategy({ ...base, name: 'corp-cpu', node: 'corp' })
  await client.createStrategy({ ...base, name: 'errors', node: null, metric: 'app.errors' })
  await client.putTeam({ name: 'dba' })
})

afterAll(async () => {
  await testApi?.dispose()
  await dir?.remove()
})

describe('strategies as code against the real API', () => {
  it('applies a file: creates its nodes, team and strategies', async () => {
    const { plan: p } = await planOf(WEB)
    expect(renderPlan(p).split('\n')).toEqual([
      '+ node corp.web',
      '+ node corp.web.api',
      '+ team web-oncall',
      '+ strategy corp.web/web-cpu: cpu.busy all(#3) > 90',
      '+ strategy corp.web/web-disk: df.bytes.used.percent{fstype=ext4,mount=/} max(5m) >= 95',
      '+ strategy corp.web.api/api-errors: http.5xx lookup(#5,3) > 10',
      'Plan: 6 to create, 0 to update, 0 to delete.',
    ])
    expect(await applyPlan(client, p)).toHaveLength(6)
    const api = (await client.tree()).find((n) => n.path === 'corp.web.api')
    expect(api).toMatchObject({ note: 'the API servers', excludes: [{ tags: 'mount=/boot' }] })
    const strategies = await client.strategies()
    expect(strategies.find((s) => s.name === 'api-errors')).toMatchObject({
      node: 'corp.web.api',
      hits: 3,
      priority: 3,
      activeWindow: { from: '08:00', to: '20:00' },
    })
    expect((await client.teams()).find((t) => t.name === 'web-oncall')?.members).toEqual(['alice', 'bob'])
  })

  it('finds nothing to do when the same file is applied again', async () => {
    expect((await planOf(WEB, true)).plan.changes).toEqual([])
    const io = capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: admin })
    await writeFile(join(dir.path, 'web.yaml'), WEB)
    expect(await runApply({ file: join(dir.path, 'web.yaml') }, io)).toBe(0)
    expect(io.stdout).toEqual(['No changes: the server matches the file.'])
  })

  it('diffs an edited file: exactly the changed fields', async () => {
    const edited = WEB.replace('threshold: 90', 'threshold: 85')
      .replace('    receivers: [web-oncall]', '    receivers: [web-oncall, dba]\n    hold: 2m')
      .replace('note: the API servers', 'note: the public API')
      .replace('members: [alice, bob]', 'members: [alice, bob, carol]')
    const { plan: p } = await planOf(edited)
    expect(renderPlan(p).split('\n')).toEqual([
      '~ node corp.web.api: note "the API servers" → "the public API"',
      '~ team web-oncall: members ["alice","bob"] → ["alice","bob","carol"]',
      '~ strategy corp.web/web-cpu: threshold 90 → 85, hold (unset) → "2m", receivers ["web-oncall"] → ["web-oncall","dba"]',
      'Plan: 0 to create, 3 to update, 0 to delete.',
    ])
    await applyPlan(client, p)
    expect((await planOf(edited)).plan.changes).toEqual([])
    await applyPlan(client, (await planOf(WEB)).plan) // back to the file as it was
  })

  it('prunes what the file no longer has, only within its scope, and only with --prune', async () => {
    const withoutDisk = WEB.replace(/ {2}- name: web-disk\n(?: {4}.*\n)+/, '')
    expect(withoutDisk).not.toContain('web-disk')
    expect((await planOf(withoutDisk)).plan.changes).toEqual([])
    const { plan: p } = await planOf(withoutDisk, true)
    expect(renderPlan(p).split('\n')).toEqual([
      '- strategy corp.web/web-disk',
      'Plan: 0 to create, 0 to update, 1 to delete.',
    ])
    await applyPlan(client, p)
    const names = (await client.strategies()).map((s) => s.name).sort()
    expect(names).toEqual(['api-errors', 'corp-cpu', 'db-cpu', 'errors', 'web-cpu'])
    expect((await client.teams()).map((t) => t.name).sort()).toEqual(['dba', 'web-oncall'])
    expect((await client.tree()).map((n) => n.path)).toEqual(['corp', 'corp.db', 'corp.web', 'corp.web.api'])
    await applyPlan(client, (await planOf(WEB)).plan)
  })

  it('prunes nodes children first, after their strategies', async () => {
    const extra = `${WEB}
  - { name: old-cpu, node: corp.web.old.app, metric: cpu.busy, fn: all, window: "#3", threshold: 1 }
`.replace(
      '  - path: corp.web.api\n',
      '  - path: corp.web.old\n  - path: corp.web.old.app\n  - path: corp.web.api\n',
    )
    await applyPlan(client, (await planOf(extra)).plan)
    const { plan: p } = await planOf(WEB, true)
    expect(renderPlan(p).split('\n')).toEqual([
      '- strategy corp.web.old.app/old-cpu',
      '- node corp.web.old.app',
      '- node corp.web.old',
      'Plan: 0 to create, 0 to update, 3 to delete.',
    ])
    await applyPlan(client, p)
    expect((await planOf(WEB, true)).plan.changes).toEqual([])
  })

  it('exports files that apply as no change (round trip), with stable ordering', async () => {
    for (const scope of ['', 'corp.web', 'corp.db']) {
      const io = capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: admin })
      expect(await runExport({ scope }, io)).toBe(0)
      const yaml = io.stdout.join('\n')
      expect((await planOf(yaml, true)).plan.changes, scope).toEqual([])
      const again = capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: admin })
      await runExport({ scope }, again)
      expect(again.stdout.join('\n')).toBe(yaml)
    }
    const out = join(dir.path, 'export.yaml')
    await runExport(
      { scope: 'corp.web', output: out },
      capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: admin }),
    )
    const file = parseCodeFile(await readFile(out, 'utf8'), out)
    expect(file.scope).toBe('corp.web')
    expect(file.tree?.map((n) => n.path)).toEqual(['corp.web', 'corp.web.api'])
    expect(file.strategies?.map((s) => s.name)).toEqual(['web-cpu', 'web-disk', 'api-errors'])
    expect(file.teams).toBeUndefined()
  })

  it('rejects an invalid file naming the item and field, and changes nothing', async () => {
    const before = await snapshot()
    const bad = WEB.replace('threshold: 95', 'threshold: very high').replace('threshold: 90', 'threshold: 1')
    const path = join(dir.path, 'bad.yaml')
    await writeFile(path, bad)
    const io = capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: admin })
    expect(await runApply({ file: path, prune: true }, io)).toBe(1)
    expect(io.stderr.join('\n')).toBe(
      `error: ${path} is not valid:\n  strategies[1].threshold: expected number, received string (line 28)`,
    )
    expect(await snapshot()).toBe(before)
  })

  it('stops with the API message when the token may not write, having changed nothing', async () => {
    const res = await fetch(`${api}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', role: 'viewer' }),
    })
    const viewer = ((await res.json()) as { token: string }).token
    const before = await snapshot()
    const edited = WEB.replace('threshold: 90', 'threshold: 70')
    const { plan: p } = await planOf(edited, false, new PeregrineClient(api, viewer))
    const err = await applyPlan(new PeregrineClient(api, viewer), p).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApplyError)
    expect((err as ApplyError).done).toEqual([])
    expect((err as ApplyError).message).toContain(
      'this needs the editor role; the token is viewer (HTTP 403)',
    )

    const path = join(dir.path, 'edited.yaml')
    await writeFile(path, edited)
    const io = capture({ PEREGRINE_API: api, PEREGRINE_TOKEN: viewer })
    expect(await runApply({ file: path }, io)).toBe(1)
    expect(io.stderr.join('\n')).toBe(
      'error: ~ strategy corp.web/web-cpu failed: this needs the editor role; the token is viewer (HTTP 403)\n' +
        '0 of 1 changes were applied before it; the rest were not attempted',
    )
    expect(await snapshot()).toBe(before)
  })

  it('stops at a strategy whose receivers name no team, as the API refuses it', async () => {
    const { plan: p } = await planOf(
      WEB.replace('receivers: [web-oncall]', 'receivers: [web-oncall, no-such-team]'),
    )
    const err = await applyPlan(client, p).catch((e: unknown) => e)
    expect((err as ApplyError).message).toContain(
      '~ strategy corp.web/web-cpu failed: body.receivers: no team named no-such-team (HTTP 400)',
    )
  })

  it('stops at a change made by someone else since the plan was read (compare-and-set)', async () => {
    const { plan: p } = await planOf(WEB.replace('threshold: 90', 'threshold: 70'))
    const current = (await client.strategies()).find((s) => s.name === 'web-cpu')!
    const { id, revision, ...spec } = current
    await client.updateStrategy(id, { ...spec, note: 'edited by hand' }, revision)
    const err = await applyPlan(client, p).catch((e: unknown) => e)
    expect((err as ApplyError).message).toMatch(
      /^~ strategy corp.web\/web-cpu failed: .*changed since revision/,
    )
    expect((await planOf(WEB)).plan.changes.map((c) => c.key)).toEqual(['corp.web/web-cpu'])
    await applyPlan(client, (await planOf(WEB)).plan)
  })

  it('keeps the fields a node edit leaves out (PUT /api/v1/tree/:path is a partial update)', async () => {
    const node = (await client.tree()).find((n) => n.path === 'corp.web.api')!
    expect(node.excludes).toHaveLength(1)
    const res = await fetch(`${api}/api/v1/tree/corp.web.api`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ note: 'edited by hand', version: node.version }),
    })
    expect(res.status).toBe(200)
    const after = (await client.tree()).find((n) => n.path === 'corp.web.api')!
    expect(after).toMatchObject({ note: 'edited by hand', excludes: node.excludes, owners: node.owners })
    expect((await planOf(WEB)).plan.changes.map((c) => (c.op === 'update' ? c.fields : []))).toEqual([
      ['note'],
    ])
    await applyPlan(client, (await planOf(WEB)).plan)
  })

  it('runs as the real CLI: diff --exit-code, apply, diff again', async () => {
    const path = join(dir.path, 'cli.yaml')
    await writeFile(path, WEB.replace('threshold: 10', 'threshold: 12'))
    const diff = await cli(['diff', '-f', path, '--exit-code'])
    expect(diff).toEqual({
      code: 2,
      stdout:
        '~ strategy corp.web.api/api-errors: threshold 10 → 12\nPlan: 0 to create, 1 to update, 0 to delete.\n',
      stderr: '',
    })
    const apply = await cli(['apply', '-f', path])
    expect(apply.code).toBe(0)
    expect(apply.stdout).toContain('applied ~ strategy corp.web.api/api-errors\nDone: 1 change(s) applied.')
    const after = await cli(['diff', '-f', path, '--exit-code'])
    expect(after.code).toBe(0)
    expect(after.stdout).toBe('No changes: the server matches the file.\n')
    const denied = await cli(['diff', '-f', path], `pgt_000000000000_${'0'.repeat(64)}`)
    expect(denied.code).toBe(1)
    expect(denied.stderr).toBe('error: unknown or revoked token (HTTP 401)\n')
    for (const out of [diff, apply, after]) expect(out.stdout + out.stderr).not.toContain(admin.slice(17))
  })
})
