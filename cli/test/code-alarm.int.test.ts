// The silences and escalation sections of strategies-as-code against the real API: apply, diff,
// export round trip, and prune that never touches a deploy's unnamed silence.
import { describe, expect, it } from 'vitest'
import { runApply, runDiff, runExport } from '../src/code/commands.ts'
import { useCodeApi } from './code-helpers.ts'

const WEB = `
scope: corp.web
silences:
  - name: web-patch-night
    match: { node: corp.web, priorities: [3, 4, 5, 6] }
    schedule: { kind: weekly, days: [0], start: "22:00", end: "02:00", timeZone: Europe/Berlin }
    reason: weekly patch night
escalation:
  - node: corp.web
    steps:
      - { afterSeconds: 600, teams: [web-oncall] }
      - { afterSeconds: 1800, teams: [web-leads] }
    repeatEverySeconds: 3600
`

const code = useCodeApi(async (client) => {
  await client.createNode('corp', {})
  await client.createNode('corp.web', {})
  for (const name of ['web-oncall', 'web-leads']) await client.putTeam({ name })
})

describe('silences and escalation as code', () => {
  it('applies them, then finds nothing to do', async () => {
    expect(await code.run(runApply, WEB)).toEqual({
      code: 0,
      out: [
        '+ escalation corp.web: 600s web-oncall, 1800s web-leads',
        '+ silence web-patch-night: weekly Sun 22:00–02:00 Europe/Berlin',
        'Plan: 2 to create, 0 to update, 0 to delete.',
        'applied + escalation corp.web',
        'applied + silence web-patch-night',
        'Done: 2 change(s) applied.',
      ],
    })
    const [silence] = await code.client.silences()
    expect(silence).toMatchObject({
      name: 'web-patch-night',
      match: { node: 'corp.web' },
      createdBy: 'admin',
    })
    expect(await code.client.escalation()).toMatchObject([{ node: 'corp.web', repeatEverySeconds: 3600 }])
    expect(await code.run(runDiff, WEB, true)).toEqual({
      code: 0,
      out: ['No changes: the server matches the file.'],
    })
  })

  it('updates what changed, and prunes named silences only', async () => {
    const now = Math.floor(Date.now() / 1000)
    await code.client.createSilence({
      match: { node: 'corp.web' },
      schedule: { kind: 'once', from: now, to: now + 3600 },
      reason: 'deploy 1.2.3',
    })
    const edited = WEB.replace('reason: weekly patch night', 'reason: patch night').replace(
      'afterSeconds: 1800',
      'afterSeconds: 1200',
    )
    const diff = await code.run(runDiff, edited, true)
    expect(diff.out).toEqual([
      '~ escalation corp.web: steps 600s web-oncall, 1800s web-leads → 600s web-oncall, 1200s web-leads',
      '~ silence web-patch-night: reason "weekly patch night" → "patch night"',
      'Plan: 0 to create, 2 to update, 0 to delete.',
    ])
    expect((await code.run(runApply, edited, true)).code).toBe(0)
    expect((await code.client.escalation())[0]?.steps[1]?.afterSeconds).toBe(1200)

    const emptied = await code.run(runApply, 'scope: corp.web\nsilences: []\nescalation: []\n', true)
    expect(emptied.out.slice(0, 3)).toEqual([
      '- silence web-patch-night',
      '- escalation corp.web',
      'Plan: 0 to create, 0 to update, 2 to delete.',
    ])
    expect((await code.client.silences()).map((s) => s.reason)).toEqual(['deploy 1.2.3'])
    expect(await code.client.escalation()).toEqual([])
  })

  it('exports them so that applying the export changes nothing', async () => {
    expect((await code.run(runApply, WEB)).code).toBe(0)
    const io = code.capture()
    expect(await runExport({ scope: 'corp.web' }, io)).toBe(0)
    const yaml = io.stdout.join('\n')
    expect(yaml).toContain('name: web-patch-night')
    expect(yaml).toContain('repeatEverySeconds: 3600')
    expect(yaml).not.toContain('deploy 1.2.3')
    expect(await code.run(runDiff, yaml, true)).toEqual({
      code: 0,
      out: ['No changes: the server matches the file.'],
    })
  })
})
