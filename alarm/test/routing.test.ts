import { type AlertEvent, Tree } from '@peregrine/common/schema'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { imChannelFor } from '../src/channels/im.ts'
import { type Batch, groupOf, Merger, singleId } from '../src/merge.ts'
import { type Directory, recipientsOf, teamsOf } from '../src/recipients.ts'

const tree = new Tree({
  nodes: [
    { id: 'n_shop', parent: null, name: 'shop', owners: [], note: '', excludes: [], version: 1 },
    { id: 'n_web', parent: 'n_shop', name: 'web', owners: [], note: '', excludes: [], version: 1 },
    { id: 'n_db', parent: 'n_shop', name: 'db', owners: [], note: '', excludes: [], version: 1 },
  ],
})
const dir: Directory = {
  tree,
  users: new Map([
    ['ann', { name: 'ann', email: 'ann@example.com', imWebhook: 'https://hooks.slack.com/services/T/B/x' }],
    ['bob', { name: 'bob', phone: '+86 138 0000 0000' }],
    ['cid', { name: 'cid', email: 'cid@example.com' }],
  ]),
  teams: new Map([
    ['ops', { name: 'ops', members: ['ann', 'bob'], note: '' }],
    ['dba', { name: 'dba', members: ['bob', 'cid'], note: '' }],
  ]),
  subscriptions: [
    { id: 'sub1', team: 'dba', node: 'n_db', priorities: [0, 1, 2] },
    { id: 'sub2', team: 'ops', node: 'n_shop', priorities: [5] },
  ],
}

function event(
  o: Partial<AlertEvent> & { priority?: number; receivers?: string[]; callbackUrl?: string | null } = {},
): AlertEvent {
  const { priority = 1, receivers = [], callbackUrl = null, ...rest } = o
  return {
    id: 'e000000000000001',
    key: 'k000000000000001'.replace(/k/, 'a'),
    status: 'PROBLEM',
    kind: 'value',
    step: 1,
    timestamp: 1_800_000_005,
    value: 5,
    flapping: false,
    endpoint: 'db-1',
    metric: 'disk.io.util',
    tags: '',
    strategy: {
      id: 's1',
      name: 'io',
      node: 'n_db',
      priority,
      condition: 'all(#3) disk.io.util > 90',
      operator: '>',
      threshold: 90,
      note: '',
      receivers,
      callbackUrl,
    },
    paths: ['shop.db'],
    judgedAt: 1_800_000_005_100,
    ...rest,
  }
}

describe('receivers', () => {
  it('are the strategy’s teams and the teams subscribed on the path for the priority', () => {
    expect([...teamsOf(event({ receivers: ['ops'] }), dir)].sort()).toEqual(['dba', 'ops'])
    expect([...teamsOf(event({ priority: 4 }), dir)]).toEqual([])
    expect([...teamsOf(event({ priority: 5 }), dir)]).toEqual(['ops'])
    // A subscription below the event's nodes does not see it.
    expect([...teamsOf(event({ paths: ['shop.web'] }), dir)]).toEqual([])
  })

  it('reach every address of each member once, and the callback', () => {
    const rs = recipientsOf(event({ callbackUrl: 'http://fix.example/run' }), ['ops', 'dba'], dir)
    expect(rs).toEqual([
      { receiver: 'ann', channel: 'email', address: 'ann@example.com' },
      { receiver: 'ann', channel: 'slack', address: 'https://hooks.slack.com/services/T/B/x' },
      { receiver: 'bob', channel: 'sms', address: '+86 138 0000 0000' },
      { receiver: 'cid', channel: 'email', address: 'cid@example.com' },
      { receiver: 'callback', channel: 'callback', address: 'http://fix.example/run' },
    ])
  })

  it('tell IM robots by their host, not by a look-alike', () => {
    expect(imChannelFor('https://hooks.slack.com.evil.example/x')).toBe('webhook')
  })
})

describe('merging', () => {
  const policy = { immediateUpTo: 2, windowSeconds: 60 }
  const r = { receiver: 'ann', channel: 'email' as const, address: 'ann@example.com' }

  beforeEach(() => vi.useFakeTimers({ now: 1_800_000_010_000 }))
  afterEach(() => vi.useRealTimers())

  it('sends P0–P2 at once and groups lower priorities by window, status and metric', () => {
    expect(groupOf(event({ priority: 2 }), r, policy)).toBeNull()
    const a = groupOf(event({ priority: 3, timestamp: 1_800_000_005 }), r, policy)
    const b = groupOf(event({ priority: 3, timestamp: 1_800_000_019, endpoint: 'db-2' }), r, policy)
    expect(a).toEqual(b)
    expect(a?.closesAt).toBe(1_800_000_060)
    expect(groupOf(event({ priority: 3, timestamp: 1_800_000_060 }), r, policy)?.key).not.toBe(a?.key)
    expect(groupOf(event({ priority: 3, status: 'OK' }), r, policy)?.key).not.toBe(a?.key)
    expect(groupOf(event({ priority: 4 }), r, policy)?.key).not.toBe(a?.key)
    expect(groupOf(event({ priority: 3, metric: 'cpu.idle' }), r, policy)?.key).not.toBe(a?.key)
  })

  it('gathers a backlog (its window long over) for one window, not a message per grace period', async () => {
    const sent: Batch[] = []
    const m = new Merger(policy, 1000, async (b) => void sent.push(b))
    const old = event({ priority: 4, timestamp: 1_800_000_010 - 3600 })
    const done = m.add(old, r)
    await vi.advanceTimersByTimeAsync(59_999)
    m.add(
      event({ priority: 4, timestamp: 1_800_000_010 - 3600, id: 'e0000000000000aa', endpoint: 'db-9' }),
      r,
    )
    expect(sent).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await done
    expect(sent.map((b) => b.events.length)).toEqual([2])
  })

  it('hands a group over when its window closes, with every event, under an id of its content', async () => {
    const sent: Batch[] = []
    const m = new Merger(policy, 1000, async (b) => void sent.push(b))
    const events = [1, 2, 3].map((i) =>
      event({ priority: 4, id: `e00000000000000${i}`, endpoint: `db-${i}` }),
    )
    const settled = events.map((e) => m.add(e, r))
    expect(m.add(event({ priority: 1 }), r)).toBeNull()
    expect(sent).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(50_000 + 999)
    expect(sent).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await Promise.all(settled)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.events.map((e) => e.endpoint)).toEqual(['db-1', 'db-2', 'db-3'])
    expect(m.size).toBe(0)
    // Another instance holding the same events makes the same id; holding fewer, another one.
    const again: Batch[] = []
    const other = new Merger(policy, 1000, async (b) => void again.push(b))
    for (const e of [...events].reverse()) other.add(e, r)
    other.add(event({ priority: 4, id: 'e000000000000009' }), r)
    other.closeAll()
    expect(again[0]!.id).not.toBe(sent[0]!.id)
    const same: Batch[] = []
    const third = new Merger(policy, 1000, async (b) => void same.push(b))
    for (const e of [...events].reverse()) third.add(e, r)
    third.closeAll()
    expect(same[0]!.id).toBe(sent[0]!.id)
    expect(singleId(events[0]!, r)).not.toBe(singleId(events[1]!, r))
  })
})
