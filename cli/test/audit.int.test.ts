import { AUDIT_CONSUMER, type Collector, loadCollectorConfig, startCollector } from '@peregrine/collector'
import {
  AUDIT_STREAM,
  AUDIT_SUBJECT,
  type AuditEntry,
  AuditLog,
  AuditQuery,
  type AuditRecord,
  createLogger,
  createRegistry,
} from '@peregrine/common'
import {
  LostReplyStore,
  openTestStore,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { queryAudit } from '@peregrine/dashboard'
import { connect, type JetStreamClient, type NatsConnection } from 'nats'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { z } from 'zod'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
/** The real config loader with small, quick batches. */
const settings = loadCollectorConfig({
  COLLECTOR_BATCH_POINTS: '5000',
  COLLECTOR_BATCH_WAIT_MS: '100',
})

let nats: TestNats
let dir: TempDir
let store: LostReplyStore
let nc: NatsConnection
let js: JetStreamClient
let registry: ReturnType<typeof createRegistry>
let collector: Collector
let audit: AuditLog

const stored = async () =>
  Number((await store.query<{ n: string }>({ query: 'SELECT count() AS n FROM audit', params: {} }))[0]?.n)
const metricValue = async (name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0
const publish = (r: z.input<typeof AuditRecord>) => js.publish(AUDIT_SUBJECT, Buffer.from(JSON.stringify(r)))
const all = () => queryAudit(store, { limit: 1000, scope: '' })

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  store = new LostReplyStore(await openTestStore(dir.path), 'audit')
  nc = await connect(nats.connectOptions('service'))
  js = nc.jetstream()
  registry = createRegistry()
  collector = await startCollector(settings, { nc, store, log, registry })
  audit = await AuditLog.open(nc)
})

afterAll(async () => {
  await collector?.stop()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

beforeEach(async () => {
  await store.command('TRUNCATE TABLE audit')
})

describe('audit', () => {
  it('persists recorded changes; the query returns them newest first with their JSON', async () => {
    const host = { name: 'web-1', tags: ['a', 'b'], note: 'tab\there\nline "quoted" \\ back', n: 1.5 }
    await audit.record({
      actor: 'alice',
      action: 'create',
      kind: 'host',
      id: 'web-1',
      before: null,
      after: host,
    })
    await new Promise((r) => setTimeout(r, 5))
    await audit.record({
      actor: 'bob',
      action: 'update',
      kind: 'host',
      id: 'web-1',
      before: host,
      after: { ...host, n: 2 },
    })
    await new Promise((r) => setTimeout(r, 5))
    await audit.record({
      actor: 'alice',
      action: 'delete',
      kind: 'strategy',
      id: 'cpu\tbusy\0/ü; ',
      before: { id: 'cpu\tbusy\0/ü; ', nested: { deep: [1, null, true] }, empty: '' },
      after: null,
    })
    await waitFor(async () => (await stored()) === 3, 20_000, 'three audit rows')

    const records = await all()
    expect(records.map((r) => r.action)).toEqual(['delete', 'update', 'create'])
    expect(records[0]).toMatchObject({
      actor: 'alice',
      kind: 'strategy',
      id: 'cpu\tbusy\0/ü; ',
      before: { id: 'cpu\tbusy\0/ü; ', nested: { deep: [1, null, true] }, empty: '' },
      after: null,
    })
    expect(records[1]).toMatchObject({ actor: 'bob', before: host, after: { ...host, n: 2 } })
    expect(records[2]).toMatchObject({ actor: 'alice', kind: 'host', id: 'web-1', before: null, after: host })
    // Unix seconds, like every other time of the API.
    const now = Date.now() / 1000
    for (const r of records) expect(r.at).toBeGreaterThan(now - 60)
    for (const r of records) expect(r.at).toBeLessThanOrEqual(now)
    expect(records[0]!.at).toBeGreaterThanOrEqual(records[1]!.at)
    expect(records[1]!.at).toBeGreaterThanOrEqual(records[2]!.at)
    expect(await metricValue('peregrine_collector_audit_records_total')).toBeGreaterThanOrEqual(3)
  })

  it('filters by kind, id, actor and time, and limits', async () => {
    // Whole seconds apart, within retention (rows older than the TTL are dropped as they are written).
    const t0 = (Math.floor(Date.now() / 1000) - 3600) * 1000
    const rec = (
      s: number,
      actor: string,
      kind: string,
      id: string,
      action: AuditRecord['action'],
      paths: string[],
    ) => publish({ at: t0 + s * 1000 + 123, actor, action, kind, id, before: null, after: { s }, paths })
    await rec(0, 'alice', 'host', 'a', 'create', ['corp.shop.web'])
    await rec(10, 'bob', 'host', 'b', 'create', ['corp.shopping'])
    await rec(20, 'alice', 'tree', '/x', 'create', ['corp'])
    await rec(30, 'carol', 'host', 'a', 'update', ['corp.shop.web', 'corp.db'])
    await rec(40, 'bob', 'tree', '/x', 'move', [])
    await waitFor(async () => (await stored()) === 5, 20_000, 'five audit rows')

    const seconds = (rs: AuditEntry[]) => rs.map((r) => (r.after as { s: number }).s)
    const q = (f: Partial<Parameters<typeof queryAudit>[1]>, limit = 100) =>
      queryAudit(store, { scope: '', ...f, limit }).then(seconds)
    expect(await q({})).toEqual([40, 30, 20, 10, 0])
    expect((await all())[0]!.at).toBe((t0 + 40_123) / 1000)
    expect(await q({ kind: 'host' })).toEqual([30, 10, 0])
    expect(await q({ kind: 'host', id: 'a' })).toEqual([30, 0])
    expect(await q({ id: '/x' })).toEqual([40, 20])
    expect(await q({ actor: 'bob' })).toEqual([40, 10])
    expect(await q({ actor: 'nobody' })).toEqual([])
    const s0 = t0 / 1000
    // from and to are inclusive, to the second.
    expect(await q({ from: s0 + 10, to: s0 + 30 })).toEqual([30, 20, 10])
    expect(await q({ from: s0 + 11 })).toEqual([40, 30, 20])
    expect(await q({ to: s0 })).toEqual([0])
    expect(await q({ kind: 'host', from: s0 + 5, actor: 'carol' })).toEqual([30])
    expect(await q({}, 2)).toEqual([40, 30])
    // A scoped token reads the records of its subtree: not a sibling sharing the prefix, not
    // the node above, not records without a path.
    expect(await q({ scope: 'corp.shop' })).toEqual([30, 0])
    expect(await q({ scope: 'corp' })).toEqual([30, 20, 10, 0])
    expect(await q({ scope: 'corp.db', kind: 'host' })).toEqual([30])
  })

  it("the actor filter matches a token's name, in new records and in those from before names and ids were apart", async () => {
    const at = Date.now()
    const rec = (actor: string, actorId: string | undefined, s: number) =>
      publish({
        at: at + s,
        actor,
        actorId,
        action: 'create',
        kind: 'team',
        id: `t${s}`,
        before: null,
        after: null,
      })
    // Published before actorId existed: name and id in one string.
    await rec('alice (tok_old)', undefined, 1)
    await rec('alice', 'tok_new', 2)
    await rec('alice.b', 'tok_other', 3)
    await rec('alice (x) (y)', undefined, 4)
    await waitFor(async () => (await stored()) === 4, 20_000, 'four audit rows')
    const byAlice = await queryAudit(store, { scope: '', limit: 10, actor: 'alice' })
    expect(byAlice.map((r) => [r.actor, r.actorId, r.id])).toEqual([
      ['alice', 'tok_new', 't2'],
      ['alice', 'tok_old', 't1'],
    ])
    expect((await queryAudit(store, { scope: '', limit: 10, actor: 'alice.b' })).map((r) => r.id)).toEqual([
      't3',
    ])
  })

  it('the query schema coerces the query string and bounds the limit', () => {
    expect(AuditQuery.parse({ kind: 'host', from: '10', to: '20' })).toEqual({
      kind: 'host',
      from: 10,
      to: 20,
      limit: 100,
    })
    expect(AuditQuery.safeParse({ limit: '1001' }).success).toBe(false)
    expect(AuditQuery.safeParse({ from: '20', to: '10' }).success).toBe(false)
    expect(AuditQuery.parse({ limit: '1000' }).limit).toBe(1000)
  })

  it('terminates and counts a malformed message, and stores the records after it', async () => {
    const before = await metricValue('peregrine_collector_audit_rejected_total')
    await js.publish(AUDIT_SUBJECT, Buffer.from('not json at all'))
    await js.publish(
      AUDIT_SUBJECT,
      Buffer.from(JSON.stringify({ at: Date.now(), actor: 'x', action: 'explode', kind: 'host', id: 'h' })),
    )
    await audit.record({
      actor: 'dave',
      action: 'create',
      kind: 'team',
      id: 'ops',
      before: null,
      after: { n: 1 },
    })
    await waitFor(async () => (await stored()) === 1, 20_000, 'the good record')
    expect(await all()).toMatchObject([{ actor: 'dave', kind: 'team', id: 'ops', after: { n: 1 } }])
    expect(await metricValue('peregrine_collector_audit_rejected_total')).toBe(before + 2)
    const jsm = await nc.jetstreamManager()
    await waitFor(async () => {
      const info = await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER)
      return info.num_ack_pending === 0 && info.num_pending === 0
    })
  })

  it('retries a failed write and stores the records once', async () => {
    store.failures = 2
    await audit.record({
      actor: 'erin',
      action: 'update',
      kind: 'user',
      id: 'u1',
      before: { a: 1 },
      after: { a: 2 },
    })
    await audit.record({
      actor: 'erin',
      action: 'delete',
      kind: 'user',
      id: 'u2',
      before: { a: 3 },
      after: null,
    })
    await waitFor(() => store.failures === 0, 20_000, 'the injected failures')
    const jsm = await nc.jetstreamManager()
    await waitFor(
      async () => (await jsm.consumers.info(AUDIT_STREAM, AUDIT_CONSUMER)).num_ack_pending === 0,
      20_000,
      'acks',
    )
    // Each failed attempt had in fact stored its block; the retry of the same block is dropped.
    expect((await all()).map((r) => r.id).sort()).toEqual(['u1', 'u2'])
    expect(await stored()).toBe(2)
  })
})
