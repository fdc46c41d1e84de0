import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { promisify } from 'node:util'

/** API token text: `pgt_<12 hex id>_<64 hex secret>`; the id names the stored record. */
export const TOKEN_TEXT = /^pgt_([0-9a-f]{12})_([0-9a-f]{64})$/

export interface TokenParts {
  id: string
  secret: string
}

export function parseToken(text: string): TokenParts | null {
  const m = TOKEN_TEXT.exec(text)
  return m ? { id: m[1]!, secret: m[2]! } : null
}

/** A new token: the text to hand out once; store only `hashSecret(secret)`. */
export function mintToken(): TokenParts & { text: string } {
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('hex')
  return { id, secret, text: `pgt_${id}_${secret}` }
}

/**
 * Whether a secret looks like 256 random bits. Of 200,000 random secrets none had fewer than 11
 * distinct hex digits or 44 distinct digit pairs; typed or patterned ones (`000…07`,
 * `0123…ef` repeated) fall far below either bound.
 */
export function hasFullEntropy(secret: string): boolean {
  const pairs = new Set<string>()
  for (let i = 0; i + 1 < secret.length; i++) pairs.add(secret.slice(i, i + 2))
  return secret.length === 64 && new Set(secret).size >= 9 && pairs.size >= 36
}

// scrypt at the interactive cost (about 30 ms here), salted per token, so a copy of the KV
// bucket is neither a token list nor a table to look secrets up in.
const SCRYPT = { N: 16_384, r: 8, p: 1, keylen: 32 }
const scryptAsync = promisify(scrypt) as (
  secret: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>

const derive = (secret: string, salt: Buffer, c: typeof SCRYPT) =>
  scryptAsync(secret, salt, c.keylen, { N: c.N, r: c.r, p: c.p, maxmem: 128 * c.N * c.r * 2 })

/** What is stored for a secret: `scrypt$N$r$p$<salt hex>$<hash hex>`. */
export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16)
  const hash = await derive(secret, salt, SCRYPT)
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('hex'), hash.toString('hex')].join('$')
}

const STORED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([0-9a-f]{32})\$([0-9a-f]{64})$/
/** Hashes written before tokens were salted: a bare SHA-256 of the secret. */
const LEGACY = /^[0-9a-f]{64}$/

export const isLegacyHash = (stored: string) => LEGACY.test(stored)

/** Whether `secret` is the one `stored` was made from; constant time in the secret. */
export async function verifySecret(secret: string, stored: string): Promise<boolean> {
  if (isLegacyHash(stored)) return equalHex(sha256(secret), stored)
  const m = STORED.exec(stored)
  if (!m) return false
  const c = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]), keylen: 32 }
  return equalHex((await derive(secret, Buffer.from(m[4]!, 'hex'), c)).toString('hex'), m[5]!)
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

export function equalHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))
}
