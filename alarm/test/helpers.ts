import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadConfig } from '@peregrine/common/config'
import { OutboundPolicy } from '@peregrine/common/outbound'
import type { AlertEvent } from '@peregrine/common/schema'
import { type ParsedMail, simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { channelSettings } from '../src/config.ts'

/** The test servers listen on loopback, which the outbound guard refuses unless allowed, as operators do. */
export const loopbackAllowed = new OutboundPolicy(['127.0.0.0/8'])

/** The channel settings from their defaults and `env`, as the service reads them. */
export function channelConfig(env: Record<string, string> = {}) {
  return loadConfig(channelSettings, 'alarm', env)
}

export function alertEvent(
  over: Partial<Omit<AlertEvent, 'strategy'>> & { strategy?: Partial<AlertEvent['strategy']> } = {},
): AlertEvent {
  const { strategy, ...rest } = over
  return {
    id: '0123456789abcdef',
    key: 'fedcba9876543210',
    status: 'PROBLEM',
    kind: 'value',
    step: 1,
    timestamp: 1_714_564_800, // 2024-05-01T12:00:00Z
    value: 4.2,
    flapping: false,
    endpoint: 'host-a',
    metric: 'cpu.idle',
    tags: '',
    paths: ['corp.infra.web'],
    judgedAt: 1_714_564_800_500,
    ...rest,
    strategy: {
      id: 'strat-1',
      name: 'cpu-idle-low',
      node: 'corp.infra',
      priority: 1,
      condition: 'all(#3) cpu.idle < 10',
      operator: '<',
      threshold: 10,
      note: 'CPU saturated: check the top processes',
      receivers: ['ops'],
      callbackUrl: null,
      ...strategy,
    },
  }
}

export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/**
 * A real HTTP server on a free loopback port that records every request and answers as `answer`
 * says (200 `{"errcode":0}`-free "ok" by default).
 */
export async function httpReceiver(
  answer: (r: Received, res: ServerResponse) => void = (_, res) => res.end('ok'),
) {
  const received: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const r = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      received.push(r)
      answer(r, res)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A real SMTP server (smtp-server) on a free loopback port; each mail it accepts is parsed. */
export async function smtpReceiver(port = 0) {
  const mails: (ParsedMail & { envelopeTo: string[] })[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      simpleParser(stream)
        .then((mail) => {
          mails.push(Object.assign(mail, { envelopeTo: session.envelope.rcptTo.map((r) => r.address) }))
          done()
        })
        .catch(done)
    },
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const address = (server.server.address() as AddressInfo).port
  return {
    port: address,
    url: `smtp://127.0.0.1:${address}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A port nothing listens on (yet): taken, then freed. */
export async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  return port
}

export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
