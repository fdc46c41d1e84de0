// Notification records from the stream to the API: the collector stores what the alarm publishes,
// GET /api/v1/notifications reads it back with every filter, a scoped token sees only the records
// about its subtree, and where a notification went is masked for all but whole-tree admins.
import { type NotificationRecord, publishNotification } from '@peregrine/common'
import { testNotification, waitFor } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiWithCollector, startApiWithCollector } from './api-with-collector.ts'

let h: ApiWithCollector
const T = 1_800_000_000
const K1 = '1a'.repeat(8)
const K2 = '2a'.repeat(8)
const web = { endpoints: ['web-1'], paths: ['corp.shop.web'] }
const db = { endpoints: ['db-1'], paths: ['corp.db'] }

/** Newest last; each a second after the one before. */
const records: NotificationRecord[] = [
  { ...web, id: 'r1', keys: [K1], events: ['e1'.repeat(8)] },
  {
    ...db,
    id: 'r2',
    keys: [K2],
    events: ['e2'.repeat(8)],
    channel: 'slack',
    receiver: 'alice',
    address: 'https://hooks.slack.com/services/T0/B0/secret',
    outcome: 'retrying',
    error: 'HTTP 503',
  },
  {
    ...web,
    id: 'r3',
    keys: [K1],
    events: ['e3'.repeat(8)],
    status: 'OK',
    channel: 'sms',
    receiver: 'alice',
    address: '+86 138 0013 8000',
    outcome: 'dead',
  },
  {
    ...db,
    id: 'r4',
    keys: [K2],
    events: ['e2'.repeat(8)],
    channel: 'callback',
    receiver: 'callback',
    address: 'https://fix.example.com/restart?token=abc',
    outcome: 'failed',
  },
  {
    id: 'r5',
    keys: ['3a'.repeat(8), '4a'.repeat(8)],
    events: ['e4'.repeat(8), 'e5'.repeat(8)],
    count: 2,
    endpoints: ['web-1', 'db-1'],
    paths: ['corp.shop.web', 'corp.db'],
    channel: 'wecom',
    address: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret',
    priority: 4,
  },
].map((r, i) => testNotification({ ...r, at: (T + i) * 1000 + 250 } as Partial<NotificationRecord>))

const ids = (r: { body: { records: { id: string }[] } }) => r.body.records.map((x) => x.id)

beforeAll(async () => {
  h = await startApiWithCollector()
  const js = h.api.nc.jetstream()
  for (const r of records) await publishNotification(js, r)
  await publishNotification(js, records[0]!)
  await waitFor(async () => (await h.get(h.admin, '/api/v1/notifications')).body.records.length === 5)
})

afterAll(() => h?.dispose())

describe('GET /api/v1/notifications', () => {
  it('answers every record once, newest first, as published', async () => {
    const all = await h.get(h.admin, '/api/v1/notifications')
    expect(ids(all)).toEqual(['r5', 'r4', 'r3', 'r2', 'r1'])
    expect(all.body.records[3]).toEqual({ ...records[1], at: T + 1.25 })
  })

  it('filters by key, event, receiver, channel, outcome, node, host, time and limit', async () => {
    const cases: [string, string[]][] = [
      [`key=${K1}`, ['r3', 'r1']],
      [`event=${'e2'.repeat(8)}`, ['r4', 'r2']],
      ['receiver=alice', ['r3', 'r2']],
      ['channel=sms', ['r3']],
      ['outcome=sent', ['r5', 'r1']],
      ['node=corp.db', ['r5', 'r4', 'r2']],
      ['host=web-1', ['r5', 'r3', 'r1']],
      [`from=${T + 1}&to=${T + 3}`, ['r4', 'r3', 'r2']],
      ['limit=2', ['r5', 'r4']],
      [`key=${K2}&outcome=failed`, ['r4']],
    ]
    for (const [q, expected] of cases)
      expect(ids(await h.get(h.admin, `/api/v1/notifications?${q}`)), q).toEqual(expected)
  })

  it('shows a scoped token only the records about its subtree', async () => {
    const shop = await h.token('viewer', 'corp.shop')
    expect(ids(await h.get(shop, '/api/v1/notifications'))).toEqual(['r5', 'r3', 'r1'])
    expect(ids(await h.get(shop, `/api/v1/notifications?key=${K2}`))).toEqual([])
    expect(ids(await h.get(shop, '/api/v1/notifications?node=corp.db'))).toEqual(['r5'])
    expect((await h.get(shop, '/api/v1/notifications?host=db-1')).status).toBe(403)
  })

  it('masks contacts and webhook secrets for all but whole-tree admins', async () => {
    const addresses = async (token: string) =>
      Object.fromEntries(
        (await h.get(token, '/api/v1/notifications')).body.records.map((r: NotificationRecord) => [
          r.id,
          r.address,
        ]),
      )
    expect(await addresses(h.admin)).toEqual(Object.fromEntries(records.map((r) => [r.id, r.address])))
    const masked = {
      r1: 'o…@example.com',
      r2: 'https://hooks.slack.com/…',
      r3: '…8000',
      // A strategy's callback URL is shown to whoever may read the strategy.
      r4: 'https://fix.example.com/restart?token=abc',
      r5: 'https://qyapi.weixin.qq.com/…',
    }
    expect(await addresses(await h.token('viewer', ''))).toEqual(masked)
    expect(await addresses(await h.token('admin', 'corp'))).toEqual(masked)
  })

  it('answers 400 naming the parameter at fault', async () => {
    for (const [q, field] of [
      ['channel=fax', 'channel'],
      ['outcome=lost', 'outcome'],
      ['key=xyz', 'key'],
      ['limit=0', 'limit'],
      ['node=Bad Node', 'node'],
      [`from=${T + 1}&to=${T}`, 'from'],
      ['colour=red', 'colour'],
    ]) {
      const r = await h.get(h.admin, `/api/v1/notifications?${q}`)
      expect(r.status, q).toBe(400)
      expect(r.body.field, q).toBe(field)
    }
  })
})
