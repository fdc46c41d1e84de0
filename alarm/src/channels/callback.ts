import type { AlertEvent } from '@peregrine/common/schema'
import type { ChannelConfig } from '../config.ts'
import { PermanentSendError } from './errors.ts'
import { addressUrl, type HttpLimits, type OutboundRequest, sendOutbound } from './http.ts'
import { signatureHeaders } from './signature.ts'
import { utcTime } from './text.ts'
import type { Channel } from './types.ts'

/**
 * A strategy's callback URL, the hook for automatic remediation: called with the event's fields,
 * as a JSON POST (signed like webhooks) or, for scripts written for Open-Falcon, as its GET with
 * query parameters. One event per call: a remediation acts on one series.
 */
export function callbackChannel(
  o: HttpLimits & { style: ChannelConfig['callbackStyle']; secret: string },
): Channel {
  return {
    async send(n, _message, signal) {
      const [event] = n.events
      if (!event || n.events.length > 1)
        throw new PermanentSendError(
          `a callback is about one event, this notification has ${n.events.length}`,
        )
      const request =
        o.style === 'post' ? postRequest(n.address, event, o.secret) : falconRequest(n.address, event)
      await sendOutbound(request, o, signal)
    },
  }
}

export function callbackFields(e: AlertEvent) {
  return {
    eventId: e.id,
    key: e.key,
    endpoint: e.endpoint,
    metric: e.metric,
    tags: e.tags,
    status: e.status,
    kind: e.kind,
    step: e.step,
    priority: e.strategy.priority,
    time: utcTime(e.timestamp),
    timestamp: e.timestamp,
    strategyId: e.strategy.id,
    strategy: e.strategy.name,
    condition: e.strategy.condition,
    value: e.value,
  }
}

function postRequest(url: string, e: AlertEvent, secret: string): OutboundRequest {
  const body = JSON.stringify(callbackFields(e))
  const headers = { 'content-type': 'application/json', ...signatureHeaders(secret, body) }
  return { url, method: 'POST', headers, body }
}

/** Open-Falcon's parameters (modules/alarm/cron/callback.go); it has no template or expression ids to give. */
function falconRequest(address: string, e: AlertEvent): OutboundRequest {
  const url = addressUrl(address)
  const params = {
    endpoint: e.endpoint,
    metric: e.metric,
    status: e.status,
    step: String(e.step),
    priority: String(e.strategy.priority),
    time: utcTime(e.timestamp).replace('T', ' ').replace('Z', ''),
    stra_id: e.strategy.id,
    left_value: e.value === null ? '' : String(e.value),
    tags: e.tags
      .split(',')
      .map((pair) => pair.replace('=', ':'))
      .join(','),
  }
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v)
  return { url: url.href, method: 'GET' }
}
