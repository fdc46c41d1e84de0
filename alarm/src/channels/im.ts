import { PermanentSendError, TransientSendError } from './errors.ts'
import { addressUrl, type HttpLimits, sendOutbound } from './http.ts'
import { IM_FORMATS, type ImType } from './im-formats.ts'
import { truncateBytes } from './text.ts'
import type { Channel, ChannelType } from './types.ts'

const VENDOR_HOSTS: [RegExp, ImType][] = [
  [/^hooks\.slack\.com$/, 'slack'],
  [/^open\.(feishu\.cn|larksuite\.com)$/, 'feishu'],
  [/^oapi\.dingtalk\.com$/, 'dingtalk'],
  [/^qyapi\.weixin\.qq\.com$/, 'wecom'],
]

/**
 * Options a robot URL carries in its fragment, which is never sent: `#secret=SEC…` (the robot's
 * own signing secret; each robot has one) and `#channel=slack` (a Slack-compatible server on
 * another host, e.g. Mattermost).
 */
function fragment(url: URL): URLSearchParams {
  return new URLSearchParams(url.hash.slice(1))
}

/** The channel for a user's IM webhook: by its `#channel=`, else by the vendor's host, else the generic webhook. */
export function imChannelFor(address: string): ChannelType {
  const url = new URL(address)
  const named = fragment(url).get('channel')
  if (named && named in IM_FORMATS) return named as ImType
  return VENDOR_HOSTS.find(([host]) => host.test(url.hostname))?.[1] ?? 'webhook'
}

/** An IM robot channel: the subject and text in the vendor's text message, signed when it has a secret. */
export function imChannel(type: ImType, o: HttpLimits & { secret: string }): Channel {
  const format = IM_FORMATS[type]
  return {
    async send(n, message, signal) {
      const robot = addressUrl(n.address)
      const secret = fragment(robot).get('secret') ?? o.secret
      robot.hash = ''
      const text = truncateBytes(`${message.subject}\n\n${message.text}`, format.maxTextBytes)
      const { url, payload } = format.request(robot, text, secret, Date.now())
      const body = JSON.stringify(payload)
      const headers = { 'content-type': 'application/json; charset=utf-8' }
      const reply = await sendOutbound({ url: url.href, method: 'POST', headers, body }, o, signal)
      const refused = format.refusal?.(parseObject(reply.body))
      if (!refused) return
      const what = `${type} refused it (code ${String(refused.code)}): ${reply.body.slice(0, 200)}`
      throw refused.transient ? new TransientSendError(what) : new PermanentSendError(what)
    },
  }
}

/** A vendor's JSON reply; anything else (a proxy's page) as nothing to check. */
function parseObject(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text)
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}
