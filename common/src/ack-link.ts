import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { z } from 'zod'
import { Ack } from './model/ack.ts'
import type { ConfigStore } from './model/store.ts'
import { ConflictError } from './nats/kv.ts'

/**
 * Acknowledgement links: a message carries a URL that acknowledges its PROBLEM without an API
 * token. The token in it is `<payload>.<signature>`, both base64url: the payload is the JSON of
 * key, event id, expiry (and whom the link was sent to), the signature its HMAC-SHA256 under a
 * secret the services share through the configuration KV.
 */

/** What an acknowledgement link says. */
export interface AckToken {
  key: string
  eventId: string
  /** Unix seconds after which the link no longer acknowledges. */
  exp: number
  /** Whom the link was sent to: recorded as who acknowledged. */
  by?: string
}

export type AckTokenReading =
  | { ok: true; token: AckToken }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' }

// Short names: the link goes into SMS and IM messages too.
const Payload = z.strictObject({
  k: Ack.shape.key,
  e: Ack.shape.eventId,
  x: z.number().int().nonnegative(),
  b: z.string().min(1).max(128).optional(),
})

const SIGNATURE_CHARS = 43 // 32 bytes in unpadded base64url
const SECRET_ID = 'ack-link'

/** The link acknowledging `eventId` of `key` for `ttlSeconds` from `now` (unix ms). */
export function makeAckLink(
  secret: string,
  key: string,
  eventId: string,
  ttlSeconds: number,
  baseUrl: string,
  o: { by?: string; now?: number } = {},
): string {
  const exp = Math.floor((o.now ?? Date.now()) / 1000) + Math.max(1, Math.trunc(ttlSeconds))
  const payload = Payload.parse({ k: key, e: eventId, x: exp, ...(o.by ? { b: o.by } : {}) })
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url')
  return `${baseUrl.replace(/\/+$/, '')}/ack/${body}.${sign(secret, body)}`
}

/**
 * What a link's token says, if `secret` signed it and it has not expired at `now` (unix ms). The
 * signature is checked before the payload is read, and compared in constant time.
 */
export function readAckToken(secret: string, token: string, now: number): AckTokenReading {
  const m = /^([A-Za-z0-9_-]{1,1024})\.([A-Za-z0-9_-]+)$/.exec(token)
  if (!m || m[2]!.length !== SIGNATURE_CHARS) return { ok: false, reason: 'malformed' }
  const given = Buffer.from(m[2]!, 'base64url')
  const expected = Buffer.from(sign(secret, m[1]!), 'base64url')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature' }
  const payload = Payload.safeParse(parseJson(Buffer.from(m[1]!, 'base64url').toString('utf8')))
  if (!payload.success) return { ok: false, reason: 'malformed' }
  const { k, e, x, b } = payload.data
  if (now >= x * 1000) return { ok: false, reason: 'expired' }
  return { ok: true, token: { key: k, eventId: e, exp: x, ...(b ? { by: b } : {}) } }
}

function sign(secret: string, body: string): string {
  return createHmac('sha256', secret).update(body).digest('base64url')
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * The secret that signs acknowledgement links, created on first use. The alarm (which makes links)
 * and the dashboard (which reads them) both call this; whichever comes first creates it.
 */
export async function ensureAckLinkSecret(config: ConfigStore): Promise<string> {
  for (;;) {
    const stored = await config.secrets.get(SECRET_ID)
    if (stored) return stored.value.value
    try {
      const value = randomBytes(32).toString('hex')
      await config.secrets.create(SECRET_ID, { value, createdAt: Date.now() })
      return value
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err
    }
  }
}
