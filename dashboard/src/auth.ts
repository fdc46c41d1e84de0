import {
  type ConfigStore,
  type Role,
  TIMED_OUT,
  type Token,
  Tree,
  type Versioned,
  within,
} from '@peregrine/common'
import {
  equalHex,
  hashSecret,
  isLegacyHash,
  mintToken,
  parseToken,
  sha256,
  type TokenParts,
  verifySecret,
} from './tokens.ts'

/** Who is calling: from a valid API token. */
export interface Principal {
  tokenId: string
  name: string
  role: Role
  /** Tree path the token may act on ('' = everything). */
  scope: string
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message)
  }
}

const RANK: Record<Role, number> = { viewer: 0, deployer: 1, editor: 2, admin: 3 }

/** The token in an `Authorization: Bearer pgt_…` header; anything else is refused. */
export function parseAuthorization(header: string | undefined): TokenParts {
  if (!header) throw new HttpError(401, 'an API token is required: Authorization: Bearer pgt_…')
  // The scheme is case-insensitive (RFC 9110); the rest is exactly one token.
  const m = /^([A-Za-z]+) (\S+)$/.exec(header)
  const parts = m && m[1]!.toLowerCase() === 'bearer' ? parseToken(m[2]!) : null
  if (!parts) throw new HttpError(401, 'the Authorization header must be "Bearer pgt_<id>_<secret>"')
  return parts
}

/** How many verified secrets are remembered, so that scrypt runs once per token, not per request. */
const VERIFIED_CACHE = 10_000
/** How long a token record may take to read before the remembered answer is used instead. */
const RECORD_WAIT_MS = 1000

/**
 * Checks bearer tokens against their stored hashes. The record is read on every request, so a
 * revoked token stops at once; the slow hash runs only for a secret not verified before. While
 * the configuration store cannot be read (NATS down), a token verified before keeps working with
 * what it was then; one never seen gets 503. Revocation wins again as soon as the store answers.
 */
export class Authenticator {
  /** By token id: the stored hash a secret matched, that secret's SHA-256, and who it was. */
  private readonly verified = new Map<string, { stored: string; digest: string; principal: Principal }>()

  constructor(private readonly config: ConfigStore) {}

  async authenticate(header: string | undefined): Promise<Principal> {
    const given = parseAuthorization(header)
    const read = await this.readRecord(given)
    if (read.unreachable) return this.remembered(given)
    const record = read.record
    if (!record || !(await this.matches(given, record.value)))
      throw new HttpError(401, 'unknown or revoked token')
    if (isLegacyHash(record.value.hash)) await this.upgrade(given, record)
    return principalFrom(record.value)
  }

  private async readRecord(
    given: TokenParts,
  ): Promise<{ unreachable: true } | { unreachable: false; record: Versioned<Token> | null }> {
    try {
      const record = await within(this.config.tokens.get(given.id), RECORD_WAIT_MS)
      return record === TIMED_OUT ? { unreachable: true } : { unreachable: false, record }
    } catch {
      return { unreachable: true }
    }
  }

  private remembered(given: TokenParts): Principal {
    const known = this.verified.get(given.id)
    if (known && equalHex(known.digest, sha256(given.secret))) return known.principal
    throw new HttpError(503, 'tokens cannot be checked now: the configuration store does not answer')
  }

  private async matches(given: TokenParts, token: Token): Promise<boolean> {
    const digest = sha256(given.secret)
    const known = this.verified.get(given.id)
    if (known?.stored !== token.hash) {
      if (!(await verifySecret(given.secret, token.hash))) return false
    } else if (!equalHex(known.digest, digest)) return false
    // Refreshed on every success, so the answer used during an outage is the newest one.
    if (!known && this.verified.size >= VERIFIED_CACHE)
      this.verified.delete(this.verified.keys().next().value!)
    this.verified.set(given.id, { stored: token.hash, digest, principal: principalFrom(token) })
    return true
  }

  /** Re-stores a token hashed before hashes were salted; another dashboard may win the race. */
  private async upgrade(given: TokenParts, record: Versioned<Token>): Promise<void> {
    const value = { ...record.value, hash: await hashSecret(given.secret) }
    await this.config.tokens.update(given.id, value, record.revision).catch(() => undefined)
  }
}

const principalFrom = (t: Token): Principal => ({ tokenId: t.id, name: t.name, role: t.role, scope: t.scope })

export function requireRole(p: Principal, role: Role): void {
  if (RANK[p.role] < RANK[role])
    throw new HttpError(403, `this needs the ${role} role; the token is ${p.role}`)
}

/** Fails unless `path` is the principal's scope or below it. */
export function requireScope(p: Principal, path: string): void {
  if (!Tree.within(path, p.scope))
    throw new HttpError(403, `${path || 'the tree root'} is outside the token's scope ${p.scope}`)
}

/** A token sees its scope, what is below it, and the nodes on the way down to it. */
export function canRead(p: Principal, path: string): boolean {
  return Tree.within(path, p.scope) || Tree.within(p.scope, path)
}

export function requireReadable(p: Principal, path: string): void {
  if (!canRead(p, path)) throw new HttpError(403, `${path} is outside the token's scope ${p.scope}`)
}

export function outranks(p: Principal, role: Role): boolean {
  return RANK[p.role] >= RANK[role]
}

/** Who may read contact details (users' addresses, where notifications went): whole-tree admins. */
export const isGlobalAdmin = (p: Principal) => outranks(p, 'admin') && p.scope === ''

/** A token to store: who it is for, what it may do, where. */
export type TokenSpec = Pick<Token, 'name' | 'role' | 'scope'>

/**
 * Stores a new token (only its hash) and returns the record and the text to hand out once.
 * `chosen` is a preset token text (already checked for entropy by the config).
 */
export async function issueToken(
  config: ConfigStore,
  spec: TokenSpec,
  createdBy: string,
  chosen?: string,
): Promise<{ record: Token; text: string }> {
  const preset = chosen === undefined ? null : parseToken(chosen)
  const token = preset ? { ...preset, text: chosen! } : mintToken()
  const record = {
    ...spec,
    id: token.id,
    hash: await hashSecret(token.secret),
    createdAt: Date.now(),
    createdBy,
  }
  await config.tokens.create(token.id, record)
  return { record, text: token.text }
}

/**
 * The first admin token: created once, when no token exists yet, and returned so the caller can
 * print it (never log it). `preset` (PEREGRINE_ADMIN_TOKEN) lets deployments choose it.
 */
export async function ensureAdminToken(config: ConfigStore, preset: string): Promise<string | null> {
  if ((await config.tokens.list()).length > 0) return null
  try {
    const admin = { name: 'admin', role: 'admin', scope: '' } as const
    return (await issueToken(config, admin, 'system', preset || undefined)).text
  } catch {
    return null // another dashboard created it first
  }
}
