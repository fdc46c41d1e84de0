// Acknowledgement end to end from stored events: through the API (roles, scope, idempotent,
// withdrawn), through a signed link without a token (opening it changes nothing, confirming does;
// expired, tampered and recovered links refused), audited, and shown on what is firing.
import {
  type Ack,
  type AlertEvent,
  ConfigStore,
  ensureAckLinkSecret,
  eventsSubject,
  makeAckLink,
} from '@peregrine/common'
import { testEvent, waitFor } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ApiWithCollector, startApiWithCollector } from './api-with-collector.ts'

let h: ApiWithCollector
let config: ConfigStore
let secret: string
let shopDeployer: string
const T = Math.floor(Date.now() / 1000) - 3600
const WEB = '1b'.repeat(8)
const DB = '2b'.repeat(8)
const FLAP = '3b'.repeat(8)
let n = 0

/** Publishes the next event of `key` and waits until it is stored. */
async function raise(key: string, status: AlertEvent['status'], db = false): Promise<AlertEvent> {
  n++
  const event = testEvent({
    id: n.toString(16).padStart(16, '0'),
    key,
    status,
    step: 1,
    timestamp: T + n * 60,
    judgedAt: (T + n * 60) * 1000 + 5,
    ...(db ? { endpoint: 'db-1', paths: ['corp.db'] } : { endpoint: 'web-1', paths: ['corp.shop.web'] }),
  })
  await h.api.nc.jetstream().publish(eventsSubject(0), JSON.stringify(event), { msgID: event.id })
  await waitFor(
    async () =>
      (await h.get(h.admin, `/api/v1/events?host=${event.endpoint}`)).body.events[0]?.id === event.id,
  )
  return event
}

async function call(token: string | null, method: 'POST' | 'DELETE', url: string, payload?: object) {
  const headers = token ? { authorization: `Bearer ${token}` } : {}
  const res = await h.api.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })
  return { status: res.statusCode, body: res.body, json: () => JSON.parse(res.body) }
}
const ack = (token: string, key: string, payload?: object) =>
  call(token, 'POST', `/api/v1/events/${key}/ack`, payload)
const unack = (token: string, key: string) => call(token, 'DELETE', `/api/v1/events/${key}/ack`)
const page = async (method: 'GET' | 'POST', link: string) => {
  const res = await h.api.app.inject({ method, url: new URL(link).pathname })
  return { status: res.statusCode, text: res.body, type: res.headers['content-type'] }
}
const linkTo = (key: string, eventId: string, o: { ttl?: number; now?: number; by?: string } = {}) =>
  makeAckLink(secret, key, eventId, o.ttl ?? 3600, 'https://mon.example.com', { by: o.by, now: o.now })

/** The firing event of `key` with its acknowledgement; undefined when the key is not firing. */
const firing = async (key: string): Promise<(AlertEvent & { ack: Ack | null }) | undefined> =>
  (await h.get(h.admin, '/api/v1/events/firing')).body.events.find((e: AlertEvent) => e.key === key)
const firingAck = async (key: string) => (await firing(key))?.ack
/** The audit records of `key`'s acknowledgements, newest first, once there are `count`. */
async function auditOf(key: string, count: number) {
  const url = `/api/v1/audit?kind=ack&id=${key}`
  await waitFor(async () => (await h.get(h.admin, url)).body.records.length === count)
  return (await h.get(h.admin, url)).body.records
}

beforeAll(async () => {
  h = await startApiWithCollector()
  config = await ConfigStore.open(h.api.nc)
  secret = await ensureAckLinkSecret(config)
  shopDeployer = await h.token('deployer', 'corp.shop')
})

afterAll(() => h?.dispose())

describe('POST and DELETE /api/v1/events/{key}/ack', () => {
  it('acknowledges the current PROBLEM for a deployer or above within scope, once', async () => {
    const problem = await raise(WEB, 'PROBLEM')
    expect((await ack(await h.token('viewer', ''), WEB)).status).toBe(403)
    expect((await ack(await h.token('editor', 'corp.db'), WEB)).status).toBe(403)
    const first = await ack(shopDeployer, WEB, { note: 'on it' })
    expect(first.status).toBe(200)
    expect(first.json()).toMatchObject({
      key: WEB,
      eventId: problem.id,
      by: 'deployer@corp.shop',
      via: 'api',
      note: 'on it',
    })
    // Again, even by someone else: the acknowledgement that stands is the answer, nothing changes.
    const again = await ack(h.admin, WEB)
    expect(again.json()).toEqual(first.json())
    expect(await auditOf(WEB, 1)).toMatchObject([
      { action: 'create', kind: 'ack', actor: 'deployer@corp.shop', paths: ['corp.shop.web'] },
    ])
  })

  it('shows on what is firing, and stands through repeats of the PROBLEM', async () => {
    expect(await firingAck(WEB)).toMatchObject({ by: 'deployer@corp.shop', note: 'on it' })
    await raise(DB, 'PROBLEM', true)
    expect(await firingAck(DB)).toBeNull()
    await raise(WEB, 'PROBLEM') // a repeat: another event id, the same PROBLEM
    expect(await firingAck(WEB)).toMatchObject({ by: 'deployer@corp.shop' })
  })

  it('withdraws an acknowledgement', async () => {
    expect((await unack(await h.token('viewer', 'corp'), WEB)).status).toBe(403)
    expect((await unack(shopDeployer, WEB)).status).toBe(204)
    expect((await unack(shopDeployer, WEB)).status).toBe(404)
    expect(await firingAck(WEB)).toBeNull()
    expect((await auditOf(WEB, 2))[0]).toMatchObject({ action: 'delete', after: null })
  })

  it('refuses what cannot be acknowledged, naming the field at fault', async () => {
    expect((await ack(h.admin, 'c0'.repeat(8))).status).toBe(404)
    const bad = [
      [ack(h.admin, 'not-a-key'), 'key'],
      [ack(h.admin, WEB, { note: 'x'.repeat(1001) }), 'note'],
      [ack(h.admin, WEB, { colour: 'red' }), 'colour'],
    ] as const
    for (const [answer, field] of bad) {
      const r = await answer
      expect(r.status, field).toBe(400)
      expect(r.json().field, field).toBe(field)
    }
  })
})

describe('GET and POST /ack/{token}', () => {
  it('shows what a link acknowledges without acknowledging it; the button does, once', async () => {
    const problem = (await firing(DB))!
    const link = linkTo(DB, problem.id, { by: 'alice' })
    const shown = await page('GET', link)
    expect(shown).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' })
    expect(shown.text).toContain('Acknowledge this problem?')
    expect(shown.text).toContain('PROBLEM of cpu.idle on db-1')
    expect(await config.acks.get(DB)).toBeNull()
    const done = await page('POST', link)
    expect(done.status).toBe(200)
    expect(done.text).toContain('acknowledged.')
    expect((await config.acks.get(DB))?.value).toMatchObject({
      eventId: problem.id,
      by: 'alice',
      via: 'link',
    })
    expect((await page('POST', link)).text).toContain('acknowledged already, by alice.')
    expect((await page('GET', link)).text).toContain('Acknowledged already')
    expect(await auditOf(DB, 1)).toMatchObject([{ action: 'create', actor: 'alice', actorId: 'ack link' }])
    expect(await firingAck(DB)).toMatchObject({ by: 'alice', via: 'link' })
  })

  it('takes a note from the page’s form', async () => {
    const problem = await raise(FLAP, 'PROBLEM')
    const res = await h.api.app.inject({
      method: 'POST',
      url: new URL(linkTo(FLAP, problem.id)).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'note=rebooting+it',
    })
    expect(res.statusCode).toBe(200)
    expect((await config.acks.get(FLAP))?.value).toMatchObject({ by: 'link', note: 'rebooting it' })
  })

  it('refuses expired, tampered and foreign links', async () => {
    const problem = (await firing(WEB))!
    const expired = linkTo(WEB, problem.id, { ttl: 60, now: Date.now() - 120_000 })
    const good = linkTo(WEB, problem.id)
    const [body, sig] = good.slice(good.lastIndexOf('/') + 1).split('.') as [string, string]
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), e: 'f0'.repeat(8) }),
    ).toString('base64url')
    const foreign = makeAckLink('cd'.repeat(32), WEB, problem.id, 3600, 'https://mon.example.com')
    for (const [link, status, text] of [
      [expired, 410, 'expired'],
      [`https://mon.example.com/ack/${forged}.${sig}`, 403, 'changed'],
      [foreign, 403, 'changed'],
      ['https://mon.example.com/ack/garbage', 400, 'not an acknowledgement link'],
    ] as const) {
      for (const method of ['GET', 'POST'] as const) {
        const r = await page(method, link)
        expect(r.status, `${method} ${link}`).toBe(status)
        expect(r.text).toContain(text)
      }
    }
    expect(await config.acks.get(WEB)).toBeNull()
  })

  it('refuses a link, or an API call, once the key has gone OK; the next PROBLEM is unacknowledged', async () => {
    const problem = (await firing(WEB))!
    await raise(FLAP, 'OK')
    await raise(WEB, 'OK')
    expect((await page('POST', linkTo(WEB, problem.id))).status).toBe(409)
    expect((await ack(h.admin, WEB)).status).toBe(409)
    // The stored acknowledgement of FLAP is void once the key recovered: a new PROBLEM needs a new one.
    const again = await raise(FLAP, 'PROBLEM')
    expect(await firingAck(FLAP)).toBeNull()
    expect((await ack(h.admin, FLAP)).json()).toMatchObject({ eventId: again.id, by: 'admin' })
    expect(await firingAck(FLAP)).toMatchObject({ by: 'admin', eventId: again.id })
  })
})
