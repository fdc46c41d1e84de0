import { createHmac } from 'node:crypto'

/**
 * How one IM vendor's incoming-webhook robot takes a text message. Checked against each vendor's
 * documentation: Slack incoming webhooks (`{"text"}`, errors as HTTP statuses), Feishu/Lark custom
 * bots (`msg_type: text`, body at most 20 KB, `code` 0 when sent), DingTalk custom robots
 * (`msgtype: text`, signature in the query, `errcode` 0), WeCom group robots (`msgtype: text`,
 * content at most 2048 bytes, `errcode` 0).
 */
export interface ImFormat {
  /** Longer text is cut to this many bytes of UTF-8. */
  maxTextBytes: number
  /** The robot URL to call (with a signature when the vendor puts it there) and the JSON body. */
  request(url: URL, text: string, secret: string, nowMs: number): { url: URL; payload: unknown }
  /** The error code of a 2xx reply that was not taken, and whether it is the vendor's rate limit. */
  refusal?(reply: Record<string, unknown>): { code: unknown; transient: boolean } | null
}

const hmacBase64 = (key: string, data: string) => createHmac('sha256', key).update(data).digest('base64')

/** `errcode`/`code` other than 0 is a refusal; the listed codes say "too fast" and pass with time. */
const codeRefusal =
  (field: string, rateLimited: readonly number[]) =>
  (reply: Record<string, unknown>): { code: unknown; transient: boolean } | null => {
    const code = reply[field]
    if (code === undefined || code === 0) return null
    return { code, transient: rateLimited.includes(Number(code)) }
  }

const slack: ImFormat = {
  maxTextBytes: 40_000,
  request: (url, text) => ({ url, payload: { text } }),
}

const feishu: ImFormat = {
  // 20 KB for the whole body, JSON escapes included.
  maxTextBytes: 16_000,
  request(url, text, secret, nowMs) {
    const payload = { msg_type: 'text', content: { text } }
    if (secret === '') return { url, payload }
    // Feishu keys the HMAC with "<timestamp>\n<secret>" and signs nothing (an empty message).
    const timestamp = String(Math.floor(nowMs / 1000))
    return { url, payload: { timestamp, sign: hmacBase64(`${timestamp}\n${secret}`, ''), ...payload } }
  },
  // 11232: frequency limited.
  refusal: codeRefusal('code', [11232]),
}

const dingtalk: ImFormat = {
  maxTextBytes: 16_000,
  request(url, text, secret, nowMs) {
    const payload = { msgtype: 'text', text: { content: text } }
    if (secret === '') return { url, payload }
    // DingTalk signs "<timestamp ms>\n<secret>" with the secret as key, both in the query.
    const signed = new URL(url)
    signed.searchParams.set('timestamp', String(nowMs))
    signed.searchParams.set('sign', hmacBase64(secret, `${nowMs}\n${secret}`))
    return { url: signed, payload }
  },
  // 130101: more than 20 messages a minute.
  refusal: codeRefusal('errcode', [130101]),
}

const wecom: ImFormat = {
  maxTextBytes: 2048,
  request: (url, text) => ({ url, payload: { msgtype: 'text', text: { content: text } } }),
  // 45009: API frequency out of limit.
  refusal: codeRefusal('errcode', [45009]),
}

export const IM_FORMATS = { slack, feishu, dingtalk, wecom } as const
export type ImType = keyof typeof IM_FORMATS
