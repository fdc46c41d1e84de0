import { OutboundPolicy } from '@peregrine/common/outbound'
import { SMTPServer } from 'smtp-server'
import { afterEach, describe, expect, it } from 'vitest'
import { PermanentSendError, TransientSendError } from '../src/channels/errors.ts'
import { createChannels } from '../src/channels/registry.ts'
import type { Notification } from '../src/channels/types.ts'
import { render } from '../src/render.ts'
import { alertEvent, channelConfig, freePort, smtpReceiver } from './helpers.ts'

const closers: (() => Promise<unknown>)[] = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

const n: Notification = {
  id: 'n-mail-1',
  channel: 'email',
  receiver: 'alice',
  address: 'alice@example.com',
  events: [alertEvent({ status: 'OK', value: 35 })],
}
const message = render(n.events, { dashboardUrl: 'https://p.example.com' })

function emailChannel(smtpUrl: string) {
  const channels = createChannels(
    channelConfig({ ALARM_SMTP_URL: smtpUrl, ALARM_SMTP_FROM: 'Peregrine <alarm@example.com>' }),
    new OutboundPolicy(),
  )
  const email = channels.get('email')
  if (!email) throw new Error('no email channel')
  closers.push(async () => email.close?.())
  return email
}

describe('email', () => {
  it('is delivered to a real SMTP server with From, To, Subject and body', async () => {
    const smtp = await smtpReceiver()
    closers.push(smtp.close)
    await emailChannel(smtp.url).send(n, message, AbortSignal.timeout(10_000))
    expect(smtp.mails).toHaveLength(1)
    const [mail] = smtp.mails
    expect(mail?.from?.value).toEqual([{ name: 'Peregrine', address: 'alarm@example.com' }])
    expect(mail?.envelopeTo).toEqual(['alice@example.com'])
    expect(mail?.to && 'text' in mail.to && mail.to.text).toBe('alice@example.com')
    expect(mail?.subject).toBe('[P1][OK] host-a recovered: cpu.idle all(#3) < 10 (value 35)')
    expect(mail?.text?.trim()).toBe(message.text)
    expect(mail?.headers.get('x-peregrine-notification')).toBe('n-mail-1')
  })

  it('takes a rejected recipient (5xx) as permanent and a 4xx as transient', async () => {
    let reply = 550
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(_address, _session, done) {
        done(Object.assign(new Error(`mailbox says ${reply}`), { responseCode: reply }))
      },
    })
    const port = await freePort()
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const email = emailChannel(`smtp://127.0.0.1:${port}`)
    await expect(email.send(n, message, AbortSignal.timeout(10_000))).rejects.toThrow(PermanentSendError)
    reply = 451
    await expect(email.send(n, message, AbortSignal.timeout(10_000))).rejects.toThrow(TransientSendError)
  })

  it('takes a server that is not there as transient', async () => {
    const email = emailChannel(`smtp://127.0.0.1:${await freePort()}`)
    await expect(email.send(n, message, AbortSignal.timeout(10_000))).rejects.toThrow(TransientSendError)
  })

  it('is not there without ALARM_SMTP_URL', () => {
    expect(createChannels(channelConfig(), new OutboundPolicy()).has('email')).toBe(false)
  })
})
