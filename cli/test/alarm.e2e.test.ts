// The alarm end to end from a pushed point (issue 9): `peregrine all` — nats-server, collector,
// judge, alarm, dashboard and agent in one process — with a real SMTP server and a real HTTP
// receiver in this test. Everything is configured through the public API with the admin token
// (the silence with a deployer token, as a deploy system holds one), and every value is an
// Open-Falcon point pushed to the agent's /v1/push. Each case has hosts of its own, so the cases
// share one all-in-one without seeing each other's events.
import { createHmac } from 'node:crypto'
import type { FiringEntry, NotificationEntry } from '@peregrine/common/schema'
import { type TempDir, tempDir, waitFor } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { httpReceiver, smtpReceiver } from '../../alarm/test/helpers.ts'
import { type AllInOne, freePort, startAllInOne } from './allinone.ts'

const METRIC = 'app.load'
const NOTE = 'Load above 90: look at the workers'
const SECRET = 'e2e-webhook-secret'
const ANN = 'ann@example.com'
const BOSS = 'boss@example.com'
const CHIEF = 'chief@example.com'
/** Hosts under alarm.web (the strategy's node); alarm.esc adds an escalation policy. */
const WEB_HOSTS = ['flip-1', 'sil-probe', 'sil-1', 'inh-1', 'ack-1', 'ack-2']
const ESC_HOSTS = ['esc-1', 'esc-ctl']

let dir: TempDir
let aio: AllInOne
let smtp: Awaited<ReturnType<typeof smtpReceiver>>
let hooks: Awaited<ReturnType<typeof httpReceiver>>
let api = ''
let agent = ''
let admin = ''

type Json = ReturnType<typeof JSON.parse>
type Mail = (typeof smtp.mails)[number]

async function call(method: string, path: string, body?: unknown, token = admin) {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Json }
}

/** A write that must succeed: a refusal names what the API said. */
async function write(method: string, path: string, body: unknown, token = admin): Promise<Json> {
  const r = await call(method, path, body, token)
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBeLessThan(300)
  return r.body
}

const nowSeconds = () => Math.floor(Date.now() / 1000)
/** Newest point time per series: the judge ignores a point not newer than the one before it. */
const clocks = new Map<string, number>()

/**
 * Pushes `values` of `metric` for `host` at step 1, one second apart in point time, from now (or
 * `from`) but always after the series' last point: a flip takes no wall-clock wait.
 */
async function push(host: string, values: number[], o: { metric?: string; from?: number } = {}) {
  const metric = o.metric ?? METRIC
  const series = `${host}\0${metric}`
  let ts = Math.max((clocks.get(series) ?? 0) + 1, o.from ?? nowSeconds())
  const points = values.map((value) => ({
    endpoint: host,
    metric,
    timestamp: ts++,
    step: 1,
    value,
    counterType: 'GAUGE',
    tags: '',
  }))
  clocks.set(series, ts - 1)
  const res = await fetch(`${agent}/v1/push`, { method: 'POST', body: JSON.stringify(points) })
  expect(res.status, await res.text()).toBe(200)
}

/** Mails to `to` whose subject is about `host` in `status` (a recovery says "<host> recovered"). */
const mails = (to: string, host: string, status: 'PROBLEM' | 'OK' = 'PROBLEM') =>
  smtp.mails.filter(
    (m) => m.envelopeTo.includes(to) && new RegExp(`\\[${status}\\] ${host}[: ]`).test(m.subject ?? ''),
  )
/** Webhook deliveries to ann's robot about `host`. */
const hooksAbout = (host: string) =>
  hooks.received
    .map((r) => ({ ...r, json: JSON.parse(r.body) as Json }))
    .filter((r) => r.json.events.some((e: { endpoint: string }) => e.endpoint === host))

/** The notification records the collector stored, as `GET /api/v1/notifications` answers. */
async function records(query: string): Promise<NotificationEntry[]> {
  const r = await call('GET', `/api/v1/notifications?${query}&limit=1000`)
  expect(r.status).toBe(200)
  return r.body.records
}

/** Waits until the records matching `query` are `n` or more. */
const recorded = (query: string, n: number, what: string) =>
  waitFor(
    async () => {
      const found = await records(query)
      return found.length >= n ? found : null
    },
    20_000,
    what,
  )

const ackLinkIn = (m: Mail) => /^Acknowledge: (\S+)$/m.exec(m.text ?? '')?.[1]

beforeAll(async () => {
  smtp = await smtpReceiver()
  hooks = await httpReceiver()
  dir = await tempDir('peregrine-alarm-e2e-')
  // A port chosen here, not 0: the all-in-one links messages to its own API at DASHBOARD_PORT.
  const port = await freePort()
  aio = startAllInOne(dir.path, {
    DASHBOARD_PORT: String(port),
    ALARM_SMTP_URL: smtp.url,
    ALARM_SMTP_FROM: 'Peregrine <peregrine@example.com>',
    ALARM_WEBHOOK_SECRET: SECRET,
    // The receivers are on loopback: the outbound guard refuses it unless allowed (API and alarm).
    OUTBOUND_ALLOW_NETS: '127.0.0.0/8',
    ALARM_ESCALATION_CHECK_MS: '200',
    JUDGE_NODATA_CHECK_MS: '200',
  })
  api = String((await aio.logged('dashboard listening')).url)
  expect(api).toBe(`http://127.0.0.1:${port}`)
  // Printed once on first start, outside the structured logs.
  const line = await waitFor(() => aio.logs.find((l) => String(l.msg).includes('admin token')), 10_000)
  admin = String(line.msg).split(': ')[1]!
  agent = `http://127.0.0.1:${Number((await aio.logged('agent started')).port)}`

  for (const [name, user] of Object.entries({
    ann: { email: ANN, imWebhook: `${hooks.url}/ann` },
    boss: { email: BOSS },
    chief: { email: CHIEF },
  }))
    await write('PUT', `/api/v1/users/${name}`, { name, ...user })
  for (const [name, members] of Object.entries({ oncall: ['ann'], leads: ['boss'], chiefs: ['chief'] }))
    await write('PUT', `/api/v1/teams/${name}`, { name, members })
  for (const path of ['alarm', 'alarm.web', 'alarm.esc']) await write('POST', '/api/v1/tree', { path })
  // The shipped heartbeat waits 30 s (three 10 s steps); these hosts push at step 1. It tells
  // oncall too, which shows when the alarm has taken a host's heartbeat loss in.
  const heartbeat = (await call('GET', '/api/v1/strategies/peregrine_host-heartbeat')).body
  const { id: _id, ...spec } = heartbeat
  await write('PUT', '/api/v1/strategies/peregrine_host-heartbeat', {
    ...spec,
    nodata: '3s',
    receivers: ['oncall'],
  })
  await write('POST', '/api/v1/strategies', {
    node: 'alarm',
    name: 'load-high',
    metric: METRIC,
    fn: 'all',
    window: '#1',
    operator: '>',
    threshold: 90,
    priority: 1,
    note: NOTE,
    receivers: ['oncall'],
    // A PROBLEM that goes on is told again at every further point (one second of point time).
    maxNotifications: 10,
    minIntervalSeconds: 1,
  })
  for (const host of WEB_HOSTS)
    await write('PUT', `/api/v1/hosts/${host}/nodes`, { nodes: ['alarm.web'], revision: 0 })
  for (const host of ESC_HOSTS)
    await write('PUT', `/api/v1/hosts/${host}/nodes`, { nodes: ['alarm.esc'], revision: 0 })
  // Bound last: once its PROBLEM reaches ann, the judge holds the strategy and every binding
  // above (it reloads the configuration whole) and the alarm knows the users and teams.
  await write('PUT', '/api/v1/hosts/warm-up/nodes', { nodes: ['alarm.web'], revision: 0 })
  let warmedAt = 0
  await waitFor(
    async () => {
      // A point a second at wall-clock time until the judge has its partitions: pushed faster,
      // point time would run ahead of what the agent accepts (ten minutes).
      if (nowSeconds() > warmedAt) {
        warmedAt = nowSeconds()
        await push('warm-up', [95], { from: warmedAt })
      }
      return mails(ANN, 'warm-up').length > 0
    },
    60_000,
    'the first PROBLEM through the whole chain',
  )
}, 120_000)

afterAll(async () => {
  if (aio && aio.child.exitCode === null) aio.child.kill('SIGKILL')
  await aio?.exited
  await smtp?.close()
  await hooks?.close()
  await dir?.remove()
})

describe('the alarm from a pushed point', () => {
  it('mails and posts a flip with note, host, value and ack link, then its recovery; the records say sent', async () => {
    await push('flip-1', [20, 95])
    await waitFor(() => mails(ANN, 'flip-1').length && hooksAbout('flip-1').length, 15_000, 'the PROBLEM')
    const [mail] = mails(ANN, 'flip-1')
    expect(mail!.subject).toBe(`[P1][PROBLEM] flip-1: ${METRIC} all(#1) > 90 (value 95)`)
    expect(mail!.from?.text).toContain('peregrine@example.com')
    expect(mail!.text).toContain(`Note:        ${NOTE}`)
    expect(mail!.text).toMatch(/^Endpoint: +flip-1$/m)
    expect(mail!.text).toMatch(/^Tree: +alarm\.web$/m)
    expect(mail!.text).toMatch(/^Value: +95$/m)
    expect(ackLinkIn(mail!)).toMatch(new RegExp(`^${api}/ack/[\\w-]+\\.[\\w-]+$`))
    const [hook] = hooksAbout('flip-1')
    expect(hook!.url).toBe('/ann')
    expect(hook!.headers['x-peregrine-signature']).toBe(
      `sha256=${createHmac('sha256', SECRET).update(`${hook!.headers['x-peregrine-timestamp']}.${hook!.body}`).digest('hex')}`,
    )
    expect(hook!.json).toMatchObject({
      status: 'PROBLEM',
      priority: 1,
      ackUrl: expect.stringContaining('/ack/'),
    })
    expect(hook!.json.events[0]).toMatchObject({ endpoint: 'flip-1', value: 95, strategy: { note: NOTE } })

    await push('flip-1', [30])
    await waitFor(() => mails(ANN, 'flip-1', 'OK').length, 15_000, 'the recovery')
    expect(mails(ANN, 'flip-1', 'OK')[0]!.subject).toBe(
      `[P1][OK] flip-1 recovered: ${METRIC} all(#1) > 90 (value 30)`,
    )
    expect(mails(ANN, 'flip-1', 'OK')[0]!.text).not.toContain('Acknowledge:')
    // Stored by the collector from the notifications stream: both messages on both channels.
    const sent = await recorded('host=flip-1&outcome=sent', 4, 'the sent records')
    expect(sent.map((r) => `${r.status} ${r.channel} ${r.receiver} ${r.address}`).sort()).toEqual([
      `OK email ann ${ANN}`,
      `OK webhook ann ${hooks.url}/ann`,
      `PROBLEM email ann ${ANN}`,
      `PROBLEM webhook ann ${hooks.url}/ann`,
    ])
    expect(mails(ANN, 'flip-1')).toHaveLength(1)
    expect(hooksAbout('flip-1')).toHaveLength(2)
  })

  it('records a flip on a silenced host as silenced and sends nothing; after the silence is deleted a flip arrives', async () => {
    const deployer = (
      await write('POST', '/api/v1/tokens', { name: 'deploy-bot', role: 'deployer', scope: 'alarm' })
    ).token as string
    const now = nowSeconds()
    const silence = await write(
      'POST',
      '/api/v1/silences',
      {
        match: { hosts: ['sil-probe', 'sil-1'] },
        schedule: { kind: 'once', from: now, to: now + 600 },
        reason: 'deploying the workers',
      },
      deployer,
    )
    expect(silence).toMatchObject({ createdBy: 'deploy-bot', state: 'active' })
    // A silence reaches the alarm with its next configuration pass; a probe host the silence
    // also names shows when it has (its PROBLEM and repeats go out until then).
    await waitFor(
      async () => {
        await push('sil-probe', [95])
        return (await records('host=sil-probe&outcome=silenced')).length > 0
      },
      20_000,
      'the silence in force at the alarm',
    )
    await push('sil-1', [20, 95])
    const silenced = await recorded('host=sil-1&outcome=silenced', 2, 'the silenced records')
    expect(silenced.map((r) => `${r.status} ${r.channel} ${r.error}`).sort()).toEqual([
      `PROBLEM email ${silence.id}`,
      `PROBLEM webhook ${silence.id}`,
    ])
    // Its recovery: nobody was told of the PROBLEM, so nobody is told it is over.
    await push('sil-1', [30])
    await recorded('host=sil-1&outcome=suppressed', 2, 'the suppressed recovery')
    expect(mails(ANN, 'sil-1').length + mails(ANN, 'sil-1', 'OK').length + hooksAbout('sil-1').length).toBe(0)

    expect((await call('DELETE', `/api/v1/silences/${silence.id}`, undefined, deployer)).status).toBe(204)
    // Until the alarm has the deletion the PROBLEM and its repeats may still be held; then one arrives.
    await waitFor(
      async () => {
        await push('sil-1', [95])
        return mails(ANN, 'sil-1').length > 0
      },
      20_000,
      'a flip after the silence',
    )
    expect(hooksAbout('sil-1').length).toBeGreaterThan(0)
  })

  it("inhibits a host's events while its heartbeat is lost, and tells them again once it is back", async () => {
    await push('inh-1', [1], { metric: 'agent.alive' })
    // No agent.alive since: three seconds later the judge raises the heartbeat loss.
    await waitFor(() => mails(ANN, 'inh-1').length, 20_000, 'the heartbeat PROBLEM')
    expect(mails(ANN, 'inh-1')[0]!.text).toContain('Heartbeat lost')
    await push('inh-1', [20, 95])
    const inhibited = await recorded('host=inh-1&outcome=inhibited', 2, 'the inhibited records')
    expect(inhibited.map((r) => `${r.status} ${r.channel} ${r.metric}`).sort()).toEqual([
      `PROBLEM email ${METRIC}`,
      `PROBLEM webhook ${METRIC}`,
    ])
    expect(inhibited[0]!.error).toMatch(/^rule host-heartbeat/)
    expect(mails(ANN, 'inh-1').filter((m) => m.subject?.includes(METRIC))).toHaveLength(0)

    // Stamped a minute ahead, so that the heartbeat stays for the rest of the case.
    await push('inh-1', [1], { metric: 'agent.alive', from: nowSeconds() + 60 })
    await waitFor(() => mails(ANN, 'inh-1', 'OK').length, 15_000, 'the heartbeat back')
    await push('inh-1', [30, 95])
    await waitFor(
      () => mails(ANN, 'inh-1').filter((m) => m.subject?.includes(METRIC)).length,
      15_000,
      'the next PROBLEM told',
    )
    // The recovery in between closed a PROBLEM nobody had been told of: told to nobody either.
    const suppressed = await recorded('host=inh-1&outcome=suppressed', 2, 'the suppressed recovery')
    expect(suppressed.map((r) => `${r.status} ${r.metric}`)).toEqual([`OK ${METRIC}`, `OK ${METRIC}`])
    expect(mails(ANN, 'inh-1', 'OK').filter((m) => m.subject?.includes(METRIC))).toHaveLength(0)
  })

  it('sends no repeat once acknowledged through the API', async () => {
    await push('ack-1', [20, 95, 96])
    // Not acknowledged yet: the repeat goes out too.
    await waitFor(() => mails(ANN, 'ack-1').length >= 2, 15_000, 'the PROBLEM and its repeat')
    const key = hooksAbout('ack-1')[0]!.json.events[0].key as string
    const ack = await waitFor(async () => {
      const r = await call('POST', `/api/v1/events/${key}/ack`, { note: 'on it' })
      return r.status === 200 ? r.body : null // 404 until the collector stored the event
    }, 15_000)
    expect(ack).toMatchObject({ key, via: 'api', note: 'on it' })
    await push('ack-1', [97])
    const held = await recorded('host=ack-1&outcome=acknowledged', 2, 'the repeat held')
    expect(held.map((r) => r.channel).sort()).toEqual(['email', 'webhook'])
    const values = mails(ANN, 'ack-1').map((m) => /\(value (\d+)\)/.exec(m.subject ?? '')?.[1])
    expect(values.sort()).toEqual(['95', '96'])
    expect(hooksAbout('ack-1')).toHaveLength(2)
  })

  it("acknowledges through the message's signed link: GET shows a page, POST acknowledges", async () => {
    await push('ack-2', [20, 95])
    await waitFor(() => mails(ANN, 'ack-2').length, 15_000, 'the PROBLEM')
    const link = ackLinkIn(mails(ANN, 'ack-2')[0]!)!
    const page = await waitFor(async () => {
      const r = await fetch(link)
      return r.status === 404 ? null : r // 404 until the collector stored the event
    }, 15_000)
    expect(page.status).toBe(200)
    expect(page.headers.get('cache-control')).toBe('no-store')
    const html = await page.text()
    expect(html).toContain('Acknowledge this problem?')
    expect(html).toContain('<form method="post">')
    const firing = async () =>
      ((await call('GET', '/api/v1/events/firing?host=ack-2')).body.events as FiringEntry[])[0]
    expect((await firing())!.ack, 'opening the link acknowledges nothing').toBeNull()

    const posted = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=from+the+mail',
    })
    expect(posted.status).toBe(200)
    expect(await posted.text()).toContain('Acknowledged')
    expect((await firing())!.ack).toMatchObject({ by: 'ann', via: 'link', note: 'from the mail' })
    await push('ack-2', [96])
    await recorded('host=ack-2&outcome=acknowledged', 2, 'the repeat held')
    expect(mails(ANN, 'ack-2')).toHaveLength(1)
  })

  it("escalates an unacknowledged PROBLEM to the policy's next team once, and no further once acknowledged", async () => {
    await write('PUT', '/api/v1/escalation-policies/alarm.esc', {
      steps: [
        { afterSeconds: 1, teams: ['leads'] },
        { afterSeconds: 4, teams: ['chiefs'] },
      ],
    })
    const start = nowSeconds()
    await push('esc-1', [20, 95], { from: start })
    // A control host raised a second later, never acknowledged: it reaches every step after esc-1.
    await push('esc-ctl', [20, 95], { from: start + 1 })
    await waitFor(() => mails(BOSS, 'esc-1').length, 15_000, 'the first escalation step')
    expect(mails(ANN, 'esc-1')).toHaveLength(1)
    const key = hooksAbout('esc-1')[0]!.json.events[0].key as string
    await waitFor(async () => (await call('POST', `/api/v1/events/${key}/ack`)).status === 200, 15_000)

    // The control's second step is due a second after esc-1's would have been: by then esc-1's
    // has had five escalation walks to go out, had it not been acknowledged.
    await waitFor(() => mails(CHIEF, 'esc-ctl').length, 15_000, "the control's second step")
    expect(mails(CHIEF, 'esc-1')).toHaveLength(0)
    expect(mails(BOSS, 'esc-1')).toHaveLength(1)
    expect(mails(BOSS, 'esc-ctl')).toHaveLength(1)
    expect(mails(CHIEF, 'esc-ctl')).toHaveLength(1)
    // Each step went out once its time since the PROBLEM had passed, not before.
    const raised = hooksAbout('esc-ctl')[0]!.json.events[0].timestamp as number
    const steps = await recorded('host=esc-ctl&outcome=sent&channel=email', 3, 'the records of esc-ctl')
    const at = (receiver: string) => steps.find((r) => r.receiver === receiver)!.at
    expect(at('boss')).toBeGreaterThanOrEqual(raised + 1)
    expect(at('chief')).toBeGreaterThanOrEqual(raised + 4)
  })
})
