// The screens section of strategies-as-code against the real API: the file's checks, apply, diff,
// export round trip, and prune that stays within the file's scope.
import { describe, expect, it } from 'vitest'
import { ApplyError, applyPlan } from '../src/code/apply.ts'
import { readState } from '../src/code/client.ts'
import { runApply, runDiff, runExport } from '../src/code/commands.ts'
import { parseCodeFile } from '../src/code/format.ts'
import { plan } from '../src/code/plan.ts'
import { problemsOf, useCodeApi } from './code-helpers.ts'

const WEB = `
scope: corp.web
screens:
  - node: corp.web
    name: Web overview
    charts:
      - title: CPU busy
        unit: "%"
        queries:
          - { endpoint: web-*, metric: cpu.busy }
      - title: Disk
        height: 200
        queries:
          - { endpoint: web-1, metric: df.bytes.used.percent, tags: "mount=/" }
          - { endpoint: web-2, metric: df.bytes.used.percent, tags: "mount=/" }
  - node: corp.web.api
    name: API
    charts: []
`

const noChanges = { code: 0, out: ['No changes: the server matches the file.'] }
const screenNames = async () => (await code.client.screens()).map((s) => `${s.node}/${s.name}`).sort()

const code = useCodeApi(async (client) => {
  for (const path of ['corp', 'corp.web', 'corp.web.api', 'corp.db']) await client.createNode(path, {})
})

describe('screens in the file', () => {
  it('are checked like the API checks them, and placed within the scope', () => {
    const problems = (text: string) => problemsOf(() => parseCodeFile(text, 'web.yaml'))
    expect(
      problems(`
scope: corp.web
screens:
  - { node: corp.db, name: elsewhere }
  - { node: corp.web, name: twice }
  - { node: corp.web, name: twice }
  - node: corp.web
    name: bad
    charts:
      - { title: t, queries: [{ endpoint: "web-*-x", metric: m }], colour: red }
`),
    ).toEqual([
      'screens[3].charts[0].queries[0].endpoint: an endpoint, or a prefix followed by * (web-*): * only at the end (line 10)',
      'screens[3].charts[0]: Unrecognized key: "colour" (line 10)',
      "screens[0].node: corp.db is outside the file's scope corp.web (line 4)",
      'screens[2].name: corp.web/twice is also screens[1] (line 6)',
    ])
    expect(problems('tree: [{ path: corp }]\nscreens: [{ node: corp.web, name: x }]')).toEqual([
      'screens[0].node: corp.web is not listed under tree: (line 2)',
    ])
  })
})

describe('screens as code', () => {
  it('applies them, then finds nothing to do', async () => {
    expect(await code.run(runApply, WEB)).toEqual({
      code: 0,
      out: [
        '+ screen corp.web.api/API: no charts',
        '+ screen corp.web/Web overview: 2 charts: CPU busy, Disk',
        'Plan: 2 to create, 0 to update, 0 to delete.',
        'applied + screen corp.web.api/API',
        'applied + screen corp.web/Web overview',
        'Done: 2 change(s) applied.',
      ],
    })
    const overview = (await code.client.screens()).find((s) => s.name === 'Web overview')
    expect(overview).toMatchObject({
      node: 'corp.web',
      createdBy: 'admin',
      charts: [
        { title: 'CPU busy', unit: '%', queries: [{ endpoint: 'web-*', metric: 'cpu.busy', tags: '' }] },
        { title: 'Disk', height: 200, queries: [{ tags: 'mount=/' }, { endpoint: 'web-2' }] },
      ],
    })
    expect(await code.run(runDiff, WEB, true)).toEqual(noChanges)
  })

  it('updates what changed, with the revision read', async () => {
    const edited = WEB.replace('title: Disk', 'title: Root disk')
    expect((await code.run(runDiff, edited)).out).toEqual([
      '~ screen corp.web/Web overview: charts 2 charts: CPU busy, Disk → 2 charts: CPU busy, Root disk',
      'Plan: 0 to create, 1 to update, 0 to delete.',
    ])
    expect((await code.run(runApply, edited)).code).toBe(0)
    const overview = (await code.client.screens()).find((s) => s.name === 'Web overview')
    expect(overview?.charts[1]?.title).toBe('Root disk')
    expect(await code.run(runDiff, edited)).toEqual(noChanges)
  })

  it('exports them so that applying the export changes nothing', async () => {
    const io = code.capture()
    expect(await runExport({ scope: 'corp.web' }, io)).toBe(0)
    const yaml = io.stdout.join('\n')
    expect(yaml).toContain(
      [
        'screens:',
        '  - node: corp.web',
        '    name: Web overview',
        '    charts:',
        '      - title: CPU busy',
        '        unit: "%"',
        '        queries:',
        '          - endpoint: web-*',
        '            metric: cpu.busy',
      ].join('\n'),
    )
    expect(await code.run(runDiff, yaml, true)).toEqual(noChanges)
    const whole = code.capture()
    expect(await runExport({}, whole)).toBe(0)
    expect(await code.run(runDiff, whole.stdout.join('\n'), true)).toEqual(noChanges)
  })

  it('prunes the screens of the scope the file leaves out, and nothing outside it', async () => {
    expect((await code.run(runApply, WEB)).code).toBe(0)
    const above = await code.client.createScreen({ node: 'corp', name: 'Company', charts: [] })
    const elsewhere = await code.client.createScreen({ node: 'corp.db', name: 'DB', charts: [] })
    const onlyOverview = WEB.slice(0, WEB.indexOf('  - node: corp.web.api'))
    expect((await code.run(runDiff, onlyOverview)).out).toEqual([
      'No changes: the server matches the file.',
      '(1 item(s) of the scope are not in the file: apply --prune would delete them)',
    ])
    const pruned = await code.run(runApply, onlyOverview, true)
    expect(pruned.out.slice(0, 2)).toEqual([
      '- screen corp.web.api/API',
      'Plan: 0 to create, 0 to update, 1 to delete.',
    ])
    expect(await screenNames()).toEqual(['corp.db/DB', 'corp.web/Web overview', 'corp/Company'])
    const emptied = await code.run(runApply, 'scope: corp.web\nscreens: []\n', true)
    expect(emptied.code).toBe(0)
    expect(await screenNames()).toEqual(['corp.db/DB', 'corp/Company'])
    for (const s of [above, elsewhere]) await code.client.deleteScreen(s.id, s.revision)
  })

  it('stops at a screen changed since the plan read it (409)', async () => {
    expect((await code.run(runApply, WEB)).code).toBe(0)
    const state = await readState(code.client, { teams: false, hosts: false, screens: true })
    const planned = plan(parseCodeFile(WEB.replace('title: Disk', 'title: Disks'), 'web.yaml'), state)
    const overview = state.screens?.find((s) => s.name === 'Web overview')
    expect(overview).toBeDefined()
    await code.client.updateScreen(
      overview!.id,
      { node: 'corp.web', name: 'Web overview' },
      overview!.revision,
    )
    const failed = await applyPlan(code.client, planned).catch((err: unknown) => err)
    expect(failed).toBeInstanceOf(ApplyError)
    expect((failed as Error).message).toBe(
      `~ screen corp.web/Web overview failed: screen ${overview!.id} changed since revision ${overview!.revision} (HTTP 409)\n` +
        '0 of 1 changes were applied before it; the rest were not attempted',
    )
  })
})
