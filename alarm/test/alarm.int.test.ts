// The alarm service against a real nats-server, a real SMTP server and a real HTTP receiver:
// events published as the judge publishes them become mail and webhooks — once, merged when
// low, held by silences, inhibition and acknowledgement, escalated when nobody answers.
import { createHmac } from 'node:crypto'
import { createLogger } from '@peregrine/common/log'
import { createRegistry } from '@peregrine/common/metrics'
import { ConfigStore, ensureEventsStream, eventsSubject, NOTIFICATIONS_STREAM } from '@peregrine/common/nats'
import type { AlertEvent, NotificationRecord } from '@peregrine/common/schema'
import { startTestNats, type TestNats, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Alarm, loadAlarmConfig, startAlarm } from '../src/index.ts'
import { alertEvent, httpReceiver, smtpReceiver } from './helpers.ts'

const SECRET = 'test-webhook-secret'
const WINDOW = 10
let nats: TestNats
let nc: NatsConnection
let config: ConfigStore
let alarm: Alarm
let smtp: Awaited<ReturnType<typeof smtpReceiver>>
let hooks: Awaited<ReturnType<typeof httpReceiver>>
let registry: ReturnType<typeof createRegistry>
const now = () => Math.floor(Date.now() / 1000)
let serial = 0

/** A fresh event: ids unique per call, key by `key` (default: one per call too). */
function event(o: Parameters<typeof alertEvent>[0] & { keyName?: string } = {}): AlertEvent {
  serial++
  const { keyName, ...over } = o
  const hex = (s: string) => Buffer.from(s).toString('hex').padEnd(16, '0').slice(0, 32)
  return alertEvent({
    id: hex(`e${serial}`),
    key: hex(keyName ?? `k${serial}`),
    timestamp: now(),
    paths: ['shop.web'],
    ...over,
    strategy: { node: 'n_web', receivers: ['ops'], ...over.strategy },
  })
}

async function publish(e: AlertEvent): Promise<void> {
  await nc.jetstream().publish(eventsSubject(0), JSON.stringify(e), { msgID: `${e.id}.${serial}` })
}

/** Every notification record on the stream so far. */
async function records(): Promise<NotificationRecord[]> {
  const jsm = await nc.jetstreamManager()
  const { last_seq, first_seq, messages } = (await jsm.streams.info(NOTIFICATIONS_STREAM)).state
  if (messages === 0) return []
  const out: NotificationRecord[] = []
  for (let seq = first_seq; seq <= last_seq; seq++) {
    const m = await jsm.streams.getMessage(NOTIFICATIONS_STREAM, { seq }).catch(() => null)
    if (m) out.push(m.json<NotificationRecord>())
  }
  return out
}
const recordsOf = async (e: AlertEvent) => (await records()).filter((r) => r.events.includes(e.id))
const mailsTo = (address: string) => smtp.mails.filter((m) => m.envelopeTo.includes(address))

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect(nats.connectOptions('service'))
  await ensureEventsStream(await nc.jetstreamManager())
  config = await ConfigStore.open(nc)
  smtp = await smtpReceiver()
  hooks = await httpReceiver()
  await config.saveTree(
    {
      nodes: [
        { id: 'n_shop', parent: null, name: 'shop', owners: [], note: '', excludes: [], version: 1 },
        { id: 'n_web', parent: 'n_shop', name: 'web', owners: [], note: '', excludes: [], version: 1 },
        { id: 'n_db', parent: 'n_shop', name: 'db', owners: [], note: '', excludes: [], version: 1 },
      ],
    },
    0,
  )
  await config.users.create('ann', { name: 'ann', email: 'ann@example.com' })
  await config.users.create('bob', { name: 'bob', imWebhook: `${hooks.url}/bob` })
  await config.users.create('boss', { name: 'boss', email: 'boss@example.com' })
  await config.teams.create('ops', { name: 'ops', members: ['ann', 'bob'] })
  await config.teams.create('bosses', { name: 'bosses', members: ['boss'] })
  // db hosts escalate to the bosses after a second unacknowledged.
  await config.escalationPolicies.create('n_db', {
    node: 'n_db',
    steps: [{ afterSeconds: 1, teams: ['bosses'] }],
  })
  await config.silences.create('sil1', {
    id: 'sil1',
    match: { hosts: ['quiet-1'] },
    schedule: { kind: 'once', from: now() - 60, to: now() + 3600 },
    reason: 'deploying',
    createdBy: 'test',
    createdAt: now(),
  })
  registry = createRegistry()
  const c = loadAlarmConfig({
    ALARM_SMTP_URL: smtp.url,
    ALARM_SMTP_FROM: 'alarm@example.com',
    ALARM_WEBHOOK_SECRET: SECRET,
    OUTBOUND_ALLOW_NETS: '127.0.0.0/8',
    ALARM_MERGE_WINDOW_SECONDS: String(WINDOW),
    ALARM_MERGE_GRACE_MS: '300',
    ALARM_ESCALATION_CHECK_MS: '200',
    ALARM_RETRY_BASE_MS: '100',
  })
  alarm = await startAlarm(c, { nc, log: createLogger('test', process.env.TEST_LOG ?? 'silent'), registry })
})

afterAll(async () => {
  await alarm?.stop()
  await smtp?.close()
  await hooks?.close()
  await nc?.close()
  await nats?.dispose()
})

describe('the alarm', () => {
  it('tells every member of the teams at once for a P1, by mail and signed webhook, once; and its recovery', async () => {
    const problem = event({ keyName: 'p1', strategy: { priority: 1 } })
    await publish(problem)
    await waitFor(
      () => mailsTo('ann@example.com').length === 1 && hooks.received.length === 1,
      10_000,
      'mail and webhook',
    )
    const [mail] = mailsTo('ann@example.com')
    expect(mail!.subject).toContain('[P1][PROBLEM] host-a')
    expect(mail!.text).toMatch(/\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/)
    const [hook] = hooks.received
    const signed = `${hook!.headers['x-peregrine-timestamp']}.${hook!.body}`
    expect(hook!.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(signed).digest('hex')}`,
    )
    // The same event published again (a judge's retry after the stream's duplicate window): not sent again.
    await publish(problem)
    await publish(event({ keyName: 'p1', status: 'OK', strategy: { priority: 1 } }))
    await waitFor(() => mailsTo('ann@example.com').length === 2, 10_000, 'the recovery')
    expect(mailsTo('ann@example.com')[1]!.subject).toContain('[P1][OK]')
    await new Promise((r) => setTimeout(r, 500))
    expect(mailsTo('ann@example.com')).toHaveLength(2)
    const sent = (await recordsOf(problem)).filter((r) => r.outcome === 'sent')
    expect(sent.map((r) => r.channel).sort()).toEqual(['email', 'webhook'])
  })

  it('merges a storm of 10,000 low-priority events into a message per receiver and window', async () => {
    const mailsBefore = mailsTo('ann@example.com').length
    const hooksBefore = hooks.received.length
    // Stamped in a window that closes once all are published (a storm arrives in far less than a window).
    const t = now() + 8 - ((now() + 8) % WINDOW)
    const storm = Array.from({ length: 10_000 }, (_, i) =>
      event({ endpoint: `web-${i}`, metric: 'disk.io.util', timestamp: t, strategy: { priority: 4 } }),
    )
    for (let i = 0; i < storm.length; i += 500) await Promise.all(storm.slice(i, i + 500).map(publish))
    await waitFor(() => mailsTo('ann@example.com').length > mailsBefore, 40_000, 'the merged mail')
    await new Promise((r) => setTimeout(r, 1500))
    const mails = mailsTo('ann@example.com').slice(mailsBefore)
    expect(mails).toHaveLength(1)
    expect(mails[0]!.subject).toMatch(/^\[P4\]\[PROBLEM\] 10000 hosts: disk\.io\.util e\.g\. web-0/)
    expect(hooks.received.length - hooksBefore).toBe(1)
  }, 90_000)

  it('holds what a silence matches, records it silenced, and says nothing of its recovery', async () => {
    const mailsBefore = smtp.mails.length
    const problem = event({ keyName: 'quiet', endpoint: 'quiet-1', strategy: { priority: 0 } })
    await publish(problem)
    await waitFor(
      async () => (await recordsOf(problem)).length === 2,
      10_000,
      'records of the silenced event',
    )
    expect((await recordsOf(problem)).map((r) => r.outcome)).toEqual(['silenced', 'silenced'])
    const ok = event({ keyName: 'quiet', endpoint: 'quiet-1', status: 'OK', strategy: { priority: 0 } })
    await publish(ok)
    await waitFor(async () => (await recordsOf(ok)).length === 2, 10_000, 'records of the recovery')
    expect((await recordsOf(ok)).map((r) => r.outcome)).toEqual(['suppressed', 'suppressed'])
    expect(smtp.mails.length).toBe(mailsBefore)
  })

  it('inhibits the other events of a host whose heartbeat is lost', async () => {
    const down = event({
      keyName: 'hb',
      endpoint: 'web-9',
      kind: 'heartbeat',
      metric: 'agent.alive',
      strategy: { priority: 1 },
    })
    await publish(down)
    await waitFor(
      () => mailsTo('ann@example.com').some((m) => m.subject?.includes('web-9')),
      10_000,
      'the heartbeat PROBLEM',
    )
    const echo = event({ endpoint: 'web-9', strategy: { priority: 1 } })
    await publish(echo)
    await waitFor(async () => (await recordsOf(echo)).length === 2, 10_000, 'records of the inhibited event')
    expect((await recordsOf(echo)).map((r) => r.outcome)).toEqual(['inhibited', 'inhibited'])
  })

  it('sends no repeat of an acknowledged PROBLEM', async () => {
    const first = event({ keyName: 'acked', strategy: { priority: 1 } })
    await publish(first)
    await waitFor(
      async () => (await recordsOf(first)).some((r) => r.outcome === 'sent'),
      10_000,
      'the PROBLEM sent',
    )
    await config.acks.create(first.key, {
      key: first.key,
      eventId: first.id,
      by: 'ann',
      at: Date.now(),
      note: '',
      via: 'api',
    })
    const repeat = event({ keyName: 'acked', step: 2, strategy: { priority: 1 } })
    await publish(repeat)
    await waitFor(async () => (await recordsOf(repeat)).length === 2, 10_000, 'records of the repeat')
    expect((await recordsOf(repeat)).map((r) => r.outcome)).toEqual(['acknowledged', 'acknowledged'])
  })

  it('escalates a PROBLEM nobody acknowledges to the next level, once', async () => {
    const problem = event({
      keyName: 'db',
      endpoint: 'db-1',
      paths: ['shop.db'],
      strategy: { node: 'n_db', priority: 1 },
    })
    await publish(problem)
    await waitFor(() => mailsTo('boss@example.com').length === 1, 10_000, 'the escalation')
    expect(mailsTo('boss@example.com')[0]!.subject).toContain('db-1')
    await new Promise((r) => setTimeout(r, 1000))
    expect(mailsTo('boss@example.com')).toHaveLength(1)
  })

  it('terminates and counts what is not an event, and goes on', async () => {
    await nc.jetstream().publish(eventsSubject(0), '{"not":"an event"}')
    const after = event({ strategy: { priority: 1 } })
    await publish(after)
    await waitFor(
      async () => (await recordsOf(after)).some((r) => r.outcome === 'sent'),
      10_000,
      'the next event',
    )
    const bad = (await registry.getSingleMetric('peregrine_alarm_bad_messages_total')?.get())?.values[0]
      ?.value
    expect(bad).toBe(1)
  })
})
