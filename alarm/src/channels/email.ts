import { createTransport } from 'nodemailer'
import type { ChannelConfig } from '../config.ts'
import { PermanentSendError, TransientSendError } from './errors.ts'
import type { Channel } from './types.ts'

type EmailSettings = Pick<ChannelConfig, 'smtpUrl' | 'smtpFrom' | 'sendTimeoutMs'>

/**
 * Email through the operator's SMTP server (nodemailer, a connection per message unless the URL
 * says `?pool=true`). The SMTP server is the operator's own, not a URL users write, so it is not
 * held to the outbound guard: a relay on localhost or the office network is the usual case.
 */
export function emailChannel(o: EmailSettings): Channel {
  const ms = o.sendTimeoutMs
  const transport = createTransport({
    url: o.smtpUrl,
    connectionTimeout: ms,
    greetingTimeout: ms,
    socketTimeout: ms,
    dnsTimeout: ms,
  })
  return {
    async send(n, message, signal) {
      try {
        await transport.sendMail({
          from: o.smtpFrom,
          to: n.address,
          subject: message.subject,
          text: message.text,
          headers: { 'X-Peregrine-Notification': n.id },
          signal,
        })
      } catch (err) {
        throw signal.aborted ? signal.reason : smtpFailure(err as SmtpError)
      }
    },
    close: async () => transport.close(),
  }
}

type SmtpError = Error & { code?: string; responseCode?: number; permanent?: boolean }

/** 5xx replies (a rejected recipient) and a broken setup are permanent; 4xx, timeouts and lost connections are not. */
function smtpFailure(err: SmtpError): Error {
  const what = err.responseCode
    ? `SMTP ${err.responseCode}: ${err.message}`
    : `${err.code ?? 'SMTP'}: ${err.message}`
  const setup = err.responseCode === undefined && ['ECONFIG', 'ENOAUTH', 'EENVELOPE'].includes(err.code ?? '')
  return err.permanent || setup
    ? new PermanentSendError(what, { cause: err })
    : new TransientSendError(what, undefined, { cause: err })
}
