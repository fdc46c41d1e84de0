import { createHmac } from 'node:crypto'

/**
 * Headers that let a receiver check a request came from this Peregrine and is fresh: an
 * HMAC-SHA256 of `<timestamp>.<body>` under the shared secret (GitHub's and Stripe's scheme), the
 * timestamp in Unix seconds, so a receiver can refuse old ones (replays). None without a secret.
 */
export function signatureHeaders(secret: string, body: string, nowMs = Date.now()): Record<string, string> {
  if (secret === '') return {}
  const timestamp = String(Math.floor(nowMs / 1000))
  const hmac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
  return { 'x-peregrine-timestamp': timestamp, 'x-peregrine-signature': `sha256=${hmac}` }
}
