import { createHmac } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { OutboundPolicy } from '@peregrine/common/outbound'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PermanentSendError, TransientSendError } from '../src/channels/errors.ts'
import { imChannelFor } from '../src/channels/im.ts'
import { createChannels } from '../src/channels/registry.ts'
import type { ChannelType, Notification } from '../src/channels/types.ts'
import { render } from '../src/render.ts'
import { alertEvent, channelConfig, httpReceiver, loopbackAllowed, type Received } from './helpers.ts'

type Answer = (r: Received, res: ServerResponse) => void
let answer: Answer
let server: Awaited<ReturnType<typeof httpReceiver>>

beforeEach(async () => {
  answer = (_, res) => res.end('ok')
  server = await httpReceiver((r, res) => answer(r, res))
})
afterEach(() => server.close())

const links = { dashboardUrl: 'https://p.example.com' }

const hmac = (key: string, data: string, encoding: 'hex' | 'base64') =>
  createHmac('sha256', key).update(data).digest(encoding)

function channels(env: Record<string, string> = {}) {
  return createChannels(channelConfig({ ALARM_WEBHOOK_SECRET: 'whsec', ...env }), loopbackAllowed)
}

function notification(channel: ChannelType, address: string, events = [alertEvent()]): Notification {
  return { id: 'n-1', channel, receiver: 'alice', address, events, ackUrl: 'https://p.example.com/ack/1' }
}

async function send(n: Notification, env: Record<string, string> = {}) {
  const message = render(n.events, links)
  await channels(env).get(n.channel)?.send(n, message, AbortSignal.timeout(5000))
  return message
}

const last = () => {
  const r = server.received.at(-1)
  if (!r) throw new Error('nothing received')
  return r
}

describe('webhook', () => {
  it('posts the notification and its events as JSON, signed over "<timestamp>.<body>"', async () => {
    const message = await send(notification('webhook', `${server.url}/hook`))
    const r = last()
    expect(r.method).toBe('POST')
    expect(r.headers['content-type']).toBe('application/json')
    const timestamp = String(r.headers['x-peregrine-timestamp'])
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5)
    expect(r.headers['x-peregrine-signature']).toBe(
      `sha256=${hmac('whsec', `${timestamp}.${r.body}`, 'hex')}`,
    )
    const body = JSON.parse(r.body)
    expect(body).toMatchObject({
      version: 1,
      id: 'n-1',
      receiver: 'alice',
      status: 'PROBLEM',
      priority: 1,
      subject: message.subject,
      text: message.text,
      ackUrl: 'https://p.example.com/ack/1',
      eventsOmitted: 0,
    })
    expect(body.events).toEqual([alertEvent()])
  })

  it('goes unsigned without a secret', async () => {
    await send(notification('webhook', server.url), { ALARM_WEBHOOK_SECRET: '' })
    expect(last().headers['x-peregrine-signature']).toBeUndefined()
  })

  it('lists as many events as fit ALARM_MAX_BODY_BYTES and counts the rest', async () => {
    const events = Array.from({ length: 50 }, (_, i) => alertEvent({ endpoint: `host-${i}` }))
    await send(notification('webhook', server.url, events), { ALARM_MAX_BODY_BYTES: '8000' })
    const r = last()
    expect(Buffer.byteLength(r.body)).toBeLessThanOrEqual(8000)
    const body = JSON.parse(r.body)
    expect(body.events.length).toBeGreaterThan(0)
    expect(body.events.length + body.eventsOmitted).toBe(50)
  })
})

describe('IM robots', () => {
  it('slack: {"text"} with subject and body', async () => {
    const message = await send(notification('slack', `${server.url}/services/T/B/x`))
    expect(JSON.parse(last().body)).toEqual({ text: `${message.subject}\n\n${message.text}` })
  })

  it('feishu: msg_type text, signed with the robot secret from the URL fragment', async () => {
    await send(notification('feishu', `${server.url}/open-apis/bot/v2/hook/abc#secret=robot-secret`))
    const r = last()
    expect(r.url).toBe('/open-apis/bot/v2/hook/abc')
    const body = JSON.parse(r.body)
    expect(body.msg_type).toBe('text')
    expect(body.content.text).toMatch(/^\[P1\]\[PROBLEM\] host-a/)
    expect(body.sign).toBe(hmac(`${body.timestamp}\nrobot-secret`, '', 'base64'))
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(5)
  })

  it('feishu: unsigned without a secret; a refusal in a 200 is permanent, its rate limit transient', async () => {
    answer = (_, res) => res.end('{"code":19021,"msg":"sign match fail"}')
    const n = notification('feishu', server.url)
    await expect(send(n)).rejects.toThrow(PermanentSendError)
    expect(JSON.parse(last().body)).toEqual({ msg_type: 'text', content: { text: expect.any(String) } })
    answer = (_, res) => res.end('{"code":11232,"msg":"frequency limited"}')
    await expect(send(n)).rejects.toThrow(TransientSendError)
  })

  it('dingtalk: msgtype text, timestamp and sign in the query as DingTalk documents', async () => {
    answer = (_, res) => res.end('{"errcode":0,"errmsg":"ok"}')
    await send(notification('dingtalk', `${server.url}/robot/send?access_token=tok`), {
      ALARM_DINGTALK_SECRET: 'SECabc',
    })
    const r = last()
    const query = new URL(r.url, server.url).searchParams
    expect(query.get('access_token')).toBe('tok')
    const timestamp = query.get('timestamp') ?? ''
    expect(Math.abs(Number(timestamp) - Date.now())).toBeLessThan(5000)
    expect(query.get('sign')).toBe(hmac('SECabc', `${timestamp}\nSECabc`, 'base64'))
    expect(r.url).toContain(`sign=${encodeURIComponent(query.get('sign') ?? '')}`)
    const body = JSON.parse(r.body)
    expect(body.msgtype).toBe('text')
    expect(body.text.content).toMatch(/^\[P1\]\[PROBLEM\] host-a/)
    answer = (_, res) => res.end('{"errcode":130101,"errmsg":"send too fast"}')
    await expect(send(notification('dingtalk', server.url))).rejects.toThrow(TransientSendError)
  })

  it('wecom: msgtype text, cut to 2048 bytes of UTF-8', async () => {
    answer = (_, res) => res.end('{"errcode":0,"errmsg":"ok"}')
    const note = '磁盘'.repeat(2000)
    await send(notification('wecom', server.url, [alertEvent({ strategy: { note } })]))
    const body = JSON.parse(last().body)
    expect(body.msgtype).toBe('text')
    expect(Buffer.byteLength(body.text.content)).toBeLessThanOrEqual(2048)
    expect(body.text.content.endsWith('…')).toBe(true)
    expect(body.text.content).not.toContain('\uFFFD')
    answer = (_, res) => res.end('{"errcode":93000,"errmsg":"invalid webhook url"}')
    await expect(send(notification('wecom', server.url))).rejects.toThrow(PermanentSendError)
  })

  it('picks the vendor by host, or by #channel=', () => {
    expect(imChannelFor('https://hooks.slack.com/services/T/B/x')).toBe('slack')
    expect(imChannelFor('https://open.feishu.cn/open-apis/bot/v2/hook/x')).toBe('feishu')
    expect(imChannelFor('https://open.larksuite.com/open-apis/bot/v2/hook/x')).toBe('feishu')
    expect(imChannelFor('https://oapi.dingtalk.com/robot/send?access_token=x')).toBe('dingtalk')
    expect(imChannelFor('https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x')).toBe('wecom')
    expect(imChannelFor('https://chat.example.com/hooks/x#channel=slack')).toBe('slack')
    expect(imChannelFor('https://chat.example.com/hooks/x')).toBe('webhook')
  })
})

describe('sms', () => {
  const env = (over: Record<string, string> = {}) => ({
    ALARM_SMS_URL: `${server.url}/sms`,
    ALARM_SMS_HEADERS: '{"Authorization":"Bearer t0k"}',
    ...over,
  })

  it('fills the JSON body template with the phone (digits) and the subject, JSON-escaped', async () => {
    const e = alertEvent({ endpoint: 'db "primary"' })
    const message = await send(notification('sms', '+1 (555) 123-4567', [e]), env())
    const r = last()
    expect(r.headers.authorization).toBe('Bearer t0k')
    expect(JSON.parse(r.body)).toEqual({ phone: '+15551234567', text: message.subject })
  })

  it('fills a GET URL, URL-encoded', async () => {
    const message = await send(
      notification('sms', '+8613800000000'),
      env({ ALARM_SMS_METHOD: 'GET', ALARM_SMS_URL: `${server.url}/send?to={phone}&msg={text}` }),
    )
    const query = new URL(last().url, server.url).searchParams
    expect(query.get('to')).toBe('+8613800000000')
    expect(query.get('msg')).toBe(message.subject)
  })

  it('is not there without ALARM_SMS_URL', () => {
    expect(channels().has('sms')).toBe(false)
    expect(channels(env()).has('sms')).toBe(true)
  })
})

describe('callback', () => {
  const e = alertEvent({ tags: 'mount=/,dev=sda', step: 2 })

  it('posts the event fields as signed JSON', async () => {
    await send(notification('callback', `${server.url}/remediate`, [e]))
    const r = last()
    expect(r.method).toBe('POST')
    const timestamp = String(r.headers['x-peregrine-timestamp'])
    expect(r.headers['x-peregrine-signature']).toBe(
      `sha256=${hmac('whsec', `${timestamp}.${r.body}`, 'hex')}`,
    )
    expect(JSON.parse(r.body)).toEqual({
      eventId: e.id,
      key: e.key,
      endpoint: 'host-a',
      metric: 'cpu.idle',
      tags: 'mount=/,dev=sda',
      status: 'PROBLEM',
      kind: 'value',
      step: 2,
      priority: 1,
      time: '2024-05-01T12:00:00Z',
      timestamp: 1_714_564_800,
      strategyId: 'strat-1',
      strategy: 'cpu-idle-low',
      condition: 'all(#3) cpu.idle < 10',
      value: 4.2,
    })
  })

  it("calls Open-Falcon's GET with its parameters when asked", async () => {
    await send(notification('callback', `${server.url}/cb?team=ops`, [e]), {
      ALARM_CALLBACK_STYLE: 'falcon-get',
    })
    const r = last()
    expect(r.method).toBe('GET')
    expect(Object.fromEntries(new URL(r.url, server.url).searchParams)).toEqual({
      team: 'ops',
      endpoint: 'host-a',
      metric: 'cpu.idle',
      status: 'PROBLEM',
      step: '2',
      priority: '1',
      time: '2024-05-01 12:00:00',
      stra_id: 'strat-1',
      left_value: '4.2',
      tags: 'mount:/,dev:sda',
    })
  })

  it('takes one event', async () => {
    await expect(send(notification('callback', server.url, [e, e]))).rejects.toThrow(/one event/)
  })
})

describe('every HTTP channel', () => {
  it('refuses an address the outbound guard refuses, before any connection', async () => {
    const metadata = send(notification('webhook', 'http://169.254.169.254/latest/meta-data/'))
    await expect(metadata).rejects.toThrow(PermanentSendError)
    await expect(metadata).rejects.toThrow('refused: 169.254.169.254 is a cloud metadata address')
    await expect(send(notification('callback', 'http://10.1.2.3/hook'))).rejects.toThrow(/refused: .*private/)
    const strict = createChannels(channelConfig(), new OutboundPolicy())
    const n = notification('slack', server.url)
    const sending = strict.get('slack')?.send(n, render(n.events, links), AbortSignal.timeout(5000))
    await expect(sending).rejects.toThrow(/loopback/)
    expect(server.received).toHaveLength(0)
  })

  it('takes 4xx as permanent but 408 and 429 (with Retry-After) as transient, 5xx as transient', async () => {
    const status = (code: number, headers: Record<string, string> = {}) => {
      answer = (_, res) => res.writeHead(code, headers).end('nope')
    }
    const n = notification('webhook', server.url)
    status(400)
    await expect(send(n)).rejects.toThrow(PermanentSendError)
    status(404)
    await expect(send(n)).rejects.toThrow(/HTTP 404: nope/)
    status(429, { 'retry-after': '7' })
    await expect(send(n)).rejects.toMatchObject({ name: 'TransientSendError', retryAfterMs: 7000 })
    status(408)
    await expect(send(n)).rejects.toThrow(TransientSendError)
    status(503)
    await expect(send(n)).rejects.toThrow(TransientSendError)
  })

  it('takes an address that is not a URL as permanent', async () => {
    for (const channel of ['webhook', 'feishu', 'callback'] as const)
      await expect(send(notification(channel, 'alice@example.com'))).rejects.toThrow(PermanentSendError)
    await expect(
      send(notification('callback', 'not a url'), { ALARM_CALLBACK_STYLE: 'falcon-get' }),
    ).rejects.toThrow('not a URL: not a url')
  })

  it('does not follow redirects', async () => {
    answer = (_, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end()
    await expect(send(notification('webhook', server.url))).rejects.toThrow(/redirects are not followed/)
    expect(server.received).toHaveLength(1)
  })

  it('gives up when the signal aborts, with its reason', async () => {
    answer = () => {}
    const n = notification('webhook', server.url)
    const controller = new AbortController()
    const sending = channels().get('webhook')?.send(n, render(n.events, links), controller.signal)
    setTimeout(() => controller.abort(new TransientSendError('no answer within 100 ms')), 100)
    await expect(sending).rejects.toThrow('no answer within 100 ms')
  })

  it('takes a refused connection as transient', async () => {
    await server.close()
    const refused = send(notification('webhook', server.url))
    await expect(refused).rejects.toThrow(TransientSendError)
    await expect(refused).rejects.toThrow(/ECONNREFUSED/)
    server = await httpReceiver()
  })
})
