import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { type ConfigStore, type Role, Tree } from '@peregrine/common'

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
const TOKEN = /^pgt_([0-9a-f]{12})_([0-9a-f]{64})$/

export const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex')

/** A new token: the text to hand out once, and what is stored (its hash only). */
export function mintToken(): { id: string; secret: string; text: string } {
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('hex')
  return { id, secret, text: `pgt_${id}_${secret}` }
}

/** Checks bearer tokens against their stored hashes; read per request, so a revoked token stops at once. */
export class Authenticator {
  constructor(private readonly config: ConfigStore) {}

  async authenticate(header: string | undefined): Promise<Principal> {
    const m = TOKEN.exec(header?.replace(/^Bearer\s+/i, '') ?? '')
    if (!m) throw new HttpError(401, 'an API token is required: Authorization: Bearer pgt_…')
    const stored = await this.config.tokens.get(m[1]!)
    const given = Buffer.from(hashSecret(m[2]!), 'hex')
    if (!stored || !timingSafeEqual(given, Buffer.from(stored.value.hash, 'hex')))
      throw new HttpError(401, 'unknown or revoked token')
    const t = stored.value
    return { tokenId: t.id, name: t.name, role: t.role, scope: t.scope }
  }
}

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

/**
 * The first admin token: created once, when no token exists yet, and returned so the caller can
 * print it (never log it). `preset` (PEREGRINE_ADMIN_TOKEN) lets deployments choose it.
 */
export async function ensureAdminToken(config: ConfigStore, preset: string): Promise<string | null> {
  if ((await config.tokens.list()).length > 0) return null
  const minted = mintToken()
  const m = TOKEN.exec(preset)
  const [id, secret, text] = m ? [m[1]!, m[2]!, preset] : [minted.id, minted.secret, minted.text]
  try {
    await config.tokens.create(id, {
      id,
      name: 'admin',
      role: 'admin',
      scope: '',
      hash: hashSecret(secret),
      createdAt: Date.now(),
      createdBy: 'system',
    })
  } catch {
    return null // another dashboard created it first
  }
  return text
}
