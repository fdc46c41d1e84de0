import type { ServerResponse } from 'node:http'
import { createRegistry } from '@peregrine/common/metrics'
import { afterEach, describe, expect, it } from 'vitest'
import { createChannels } from '../src/channels/registry.ts'
import type { ChannelType, Notification } from '../src/channels/types.ts'
import { type Attempt, Delivery, DeliveryStoppedError, QueueFullError } from '../src/delivery.ts'
import {
  alertEvent,
  channelConfig,
  freePort,
  httpReceiver,
  loopbackAllowed,
  smtpReceiver,
  until,
} from './helpers.ts'

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

/** A delivery with quick retries, reporting into `attempts`, stopped after the test. */
function delivery(env: Record<string, string> = {}) {
  const config = channelConfig({
    ALARM_RETRY_BASE_MS: '100',
    ALARM_RETRY_MAX_MS: '400',
    ALARM_MAX_ATTEMPTS: '3',
    ALARM_WEBHOOK_SECRET: 'whsec',
    ...env,
  })
  const attempts: Attempt[] = []
  const registry = createRegistry()
  const d = new Delivery(config, {
    channels: createChannels(config, loopbackAllowed),
    registry,
    onAttempt: (a) => attempts.push(a),
  })
  closers.push(() => d.stop(100))
  return { d, attempts, registry }
}

async function receiver(answer?: (res: ServerResponse) => void) {
  const server = await httpReceiver(answer && ((_, res) => answer(res)))
  closers.push(server.close)
  return server
}

let count = 0
function notification(channel: ChannelType, address: string, receiver = 'alice'): Notification {
  count++
  return { id: `n-${count}`, channel, receiver, address, events: [alertEvent()] }
}

const outcomes = (attempts: Attempt[], id: string) =>
  attempts.filter((a) => a.notificationId === id).map((a) => `${a.attempt}:${a.outcome}`)

describe('delivery', () => {
  it('delivers mail once the SMTP server comes up, reporting each retry', async () => {
    const port = await freePort()
    const { d, attempts } = delivery({
      ALARM_SMTP_URL: `smtp://127.0.0.1:${port}`,
      ALARM_MAX_ATTEMPTS: '30',
      ALARM_RETRY_MAX_MS: '300',
    })
    const n = notification('email', 'alice@example.com')
    const sending = d.send(n)
    // Down for two seconds.
    await new Promise((r) => setTimeout(r, 2000))
    const smtp = await smtpReceiver(port)
    closers.push(smtp.close)
    expect(await sending).toMatchObject({ outcome: 'sent' })
    expect(smtp.mails.map((m) => m.subject)).toEqual([
      '[P1][PROBLEM] host-a: cpu.idle all(#3) < 10 (value 4.2)',
    ])
    const seen = outcomes(attempts, n.id)
    expect(seen.length).toBeGreaterThan(3)
    expect(seen.at(-1)).toBe(`${seen.length}:sent`)
    expect(seen.slice(0, -1).every((s) => s.endsWith(':retrying'))).toBe(true)
    expect(attempts[0]).toMatchObject({
      notificationId: n.id,
      channel: 'email',
      receiver: 'alice',
      address: 'alice@example.com',
      attempt: 1,
      outcome: 'retrying',
      error: expect.stringMatching(/ECONNREFUSED|ESOCKET|ECONNECTION/),
    })
  })

  it('delivers every mail after an SMTP outage of a minute, with the default retries', async () => {
    const port = await freePort()
    // The shipped retry settings (1 s doubling to 60 s, 10 attempts) span about four minutes.
    const { d } = delivery({
      ALARM_SMTP_URL: `smtp://127.0.0.1:${port}`,
      ALARM_RETRY_BASE_MS: '1000',
      ALARM_RETRY_MAX_MS: '60000',
      ALARM_MAX_ATTEMPTS: '10',
    })
    const sending = Array.from({ length: 5 }, (_, i) => d.send(notification('email', `user${i}@example.com`)))
    await new Promise((r) => setTimeout(r, 60_000))
    const smtp = await smtpReceiver(port)
    closers.push(smtp.close)
    const results = await Promise.all(sending)
    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent', 'sent', 'sent'])
    expect(smtp.mails.flatMap((m) => m.envelopeTo).sort()).toEqual(
      Array.from({ length: 5 }, (_, i) => `user${i}@example.com`),
    )
  }, 150_000)

  it('gives a receiver that always answers 500 up after ALARM_MAX_ATTEMPTS: a dead letter', async () => {
    const server = await receiver((res) => res.writeHead(500).end('down'))
    const { d, attempts } = delivery()
    const n = notification('webhook', server.url)
    expect(await d.send(n)).toEqual({ outcome: 'dead', attempts: 3, error: 'HTTP 500: down' })
    expect(outcomes(attempts, n.id)).toEqual(['1:retrying', '2:retrying', '3:dead'])
    expect(server.received).toHaveLength(3)
  })

  it('takes no answer within ALARM_SEND_TIMEOUT_MS as a transient failure', async () => {
    const server = await receiver(() => {})
    const { d, attempts } = delivery({ ALARM_SEND_TIMEOUT_MS: '200', ALARM_MAX_ATTEMPTS: '2' })
    const n = notification('dingtalk', server.url)
    expect(await d.send(n)).toMatchObject({ outcome: 'dead', attempts: 2, error: 'no answer within 200 ms' })
    expect(outcomes(attempts, n.id)).toEqual(['1:retrying', '2:dead'])
  })

  it('gives up at once on a 400', async () => {
    const server = await receiver((res) => res.writeHead(400).end('bad payload'))
    const { d, attempts } = delivery()
    const n = notification('slack', server.url)
    expect(await d.send(n)).toMatchObject({ outcome: 'dead', attempts: 1 })
    expect(outcomes(attempts, n.id)).toEqual(['1:dead'])
  })

  it('gives up at once on a refused address, without connecting', async () => {
    const { d, attempts } = delivery()
    const n = notification('callback', 'http://169.254.169.254/latest/meta-data/')
    const started = Date.now()
    expect(await d.send(n)).toMatchObject({ outcome: 'dead', attempts: 1 })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(attempts).toEqual([
      expect.objectContaining({
        outcome: 'dead',
        error: 'refused: 169.254.169.254 is a cloud metadata address',
      }),
    ])
  })

  it('says which setting a channel lacks', async () => {
    const { d, attempts } = delivery()
    expect(await d.send(notification('email', 'alice@example.com'))).toMatchObject({ outcome: 'dead' })
    expect(attempts[0]?.error).toBe('no email channel is set up (ALARM_SMTP_URL is empty)')
  })

  it('spaces messages to one address by the rate limit, delaying but delivering them all', async () => {
    const server = await receiver()
    const { d } = delivery({ ALARM_RATE_LIMIT: '2', ALARM_RATE_WINDOW_MS: '1500' })
    const started = Date.now()
    const sends = [1, 2, 3].map(() => d.send(notification('webhook', `${server.url}/alice`, 'alice')))
    const other = d.send(notification('webhook', `${server.url}/bob`, 'bob'))
    // A high-priority one to the same address is not held behind them.
    const urgent = d.send({ ...notification('webhook', `${server.url}/alice`, 'alice'), urgent: true })
    await Promise.all([other, urgent])
    expect(Date.now() - started).toBeLessThan(1000)
    const results = await Promise.all(sends)
    expect(results.map((r) => r.outcome)).toEqual(['sent', 'sent', 'sent'])
    expect(Date.now() - started).toBeGreaterThanOrEqual(1450)
    expect(server.received).toHaveLength(5)
  })

  it('refuses past ALARM_QUEUE_LIMIT and sends one at a time at concurrency 1', async () => {
    const held: ServerResponse[] = []
    const server = await receiver((res) => held.push(res))
    const { d } = delivery({ ALARM_QUEUE_LIMIT: '2', ALARM_CONCURRENCY: '1' })
    const first = d.send(notification('webhook', server.url))
    const second = d.send(notification('webhook', server.url))
    await expect(d.send(notification('webhook', server.url))).rejects.toThrow(QueueFullError)
    await until(() => held.length === 1)
    await new Promise((r) => setTimeout(r, 200))
    expect(server.received).toHaveLength(1)
    held.shift()?.end('ok')
    await until(() => held.length === 1)
    held.shift()?.end('ok')
    expect((await Promise.all([first, second])).map((r) => r.outcome)).toEqual(['sent', 'sent'])
    const third = d.send(notification('webhook', server.url))
    await until(() => held.length === 1)
    held.shift()?.end('ok')
    expect(await third).toMatchObject({ outcome: 'sent' })
  })

  it('on stop, gives up what waits, lets what is in flight finish for a while, then reports what is left', async () => {
    const held: ServerResponse[] = []
    const server = await receiver((res) => held.push(res))
    const { d, attempts } = delivery({ ALARM_RATE_LIMIT: '1' })
    const quick = notification('webhook', `${server.url}/alice`, 'alice')
    const slow = notification('webhook', `${server.url}/bob`, 'bob')
    const limited = notification('webhook', `${server.url}/alice`, 'alice')
    const sends = [quick, slow, limited].map((n) => d.send(n).catch((e: Error) => e))
    await until(() => held.length === 2)
    const stopping = d.stop(500)
    held[0]?.end('ok')
    const report = await stopping
    expect(report.left).toEqual([
      { notificationId: limited.id, channel: 'webhook', receiver: 'alice', state: 'waiting' },
      { notificationId: slow.id, channel: 'webhook', receiver: 'bob', state: 'sending' },
    ])
    const [quickResult, slowResult, limitedResult] = await Promise.all(sends)
    expect(quickResult).toMatchObject({ outcome: 'sent' })
    expect(slowResult).toBeInstanceOf(DeliveryStoppedError)
    expect(limitedResult).toBeInstanceOf(DeliveryStoppedError)
    expect(outcomes(attempts, slow.id)).toEqual(['1:failed'])
    expect(outcomes(attempts, limited.id)).toEqual([])
    await expect(d.send(notification('webhook', server.url))).rejects.toThrow(DeliveryStoppedError)
  })

  it('counts attempts by channel and outcome, and the notifications held', async () => {
    const server = await receiver()
    const { d, registry } = delivery()
    await d.send(notification('webhook', server.url))
    await d.send(notification('email', 'alice@example.com'))
    const text = await registry.metrics()
    expect(text).toContain('peregrine_alarm_attempts_total{channel="webhook",outcome="sent"} 1')
    expect(text).toContain('peregrine_alarm_attempts_total{channel="email",outcome="dead"} 1')
    expect(text).toContain('peregrine_alarm_queue_length{channel="webhook"} 0')
  })
})
