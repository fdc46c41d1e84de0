import type { ChannelConfig } from '../config.ts'
import { type HttpLimits, sendOutbound } from './http.ts'
import type { Channel } from './types.ts'

type SmsSettings = Pick<ChannelConfig, 'smsUrl' | 'smsMethod' | 'smsBody' | 'smsContentType' | 'smsHeaders'>

/**
 * SMS through the operator's HTTP gateway, whatever its API: `{phone}` and `{text}` in its URL and
 * body template are replaced, each escaped for where it lands. The text is the subject alone: an
 * SMS is short. A 2xx counts as sent (a gateway's own error codes in a 200 are not understood).
 */
export function smsChannel(o: HttpLimits & SmsSettings): Channel {
  const escapeBody = bodyEscaper(o.smsContentType)
  return {
    async send(n, message, signal) {
      // Gateways want digits (E.164); user records may write "+1 (555) 123-4567".
      const values = { phone: n.address.replace(/[\s()-]/g, ''), text: message.subject }
      const fill = (template: string, escaped: (s: string) => string) =>
        template.replace(/\{(phone|text)\}/g, (_, key: keyof typeof values) => escaped(values[key]))
      const url = fill(o.smsUrl, encodeURIComponent)
      const body = o.smsMethod === 'GET' ? undefined : fill(o.smsBody, escapeBody)
      const headers = { 'content-type': o.smsContentType, ...o.smsHeaders }
      await sendOutbound({ url, method: o.smsMethod, headers, body }, o, signal)
    },
  }
}

function bodyEscaper(contentType: string): (s: string) => string {
  if (/json/i.test(contentType)) return (s) => JSON.stringify(s).slice(1, -1)
  if (/x-www-form-urlencoded/i.test(contentType)) return encodeURIComponent
  return (s) => s
}
