import { type HttpLimits, sendOutbound } from './http.ts'
import { signatureHeaders } from './signature.ts'
import type { Channel, Message, Notification } from './types.ts'

/** The generic webhook: a signed JSON POST of the notification and its events. */
export function webhookChannel(o: HttpLimits & { secret: string }): Channel {
  return {
    async send(n, message, signal) {
      const body = webhookBody(n, message, o.maxBodyBytes)
      const headers = { 'content-type': 'application/json', ...signatureHeaders(o.secret, body) }
      await sendOutbound({ url: n.address, method: 'POST', headers, body }, o, signal)
    },
  }
}

/**
 * The notification and as many of its events as fit in `maxBytes` (a storm merged into one
 * message can carry thousands), with the count of those left out: the text still names them all.
 */
export function webhookBody(n: Notification, message: Message, maxBytes: number): string {
  const first = n.events[0]
  const head = {
    version: 1,
    id: n.id,
    receiver: n.receiver,
    status: first?.status,
    priority: first?.strategy.priority,
    subject: message.subject,
    text: message.text,
    ackUrl: n.ackUrl ?? null,
  }
  const bare = JSON.stringify({ ...head, events: [], eventsOmitted: n.events.length })
  let room = maxBytes - Buffer.byteLength(bare)
  let kept = 0
  for (const e of n.events) {
    room -= Buffer.byteLength(JSON.stringify(e)) + 1
    if (room < 0) break
    kept++
  }
  return JSON.stringify({ ...head, events: n.events.slice(0, kept), eventsOmitted: n.events.length - kept })
}
