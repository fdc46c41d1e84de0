import { AuditLog, type AuditRecord, ConfigStore, OutboundPolicy, type Store } from '@peregrine/common'
import type { FastifyRequest } from 'fastify'
import type { NatsConnection } from 'nats'
import { Authenticator, type Principal } from '../auth.ts'
import type { Visibility } from '../visibility.ts'

/** What the configuration routes work with. */
export interface ConfigContext {
  config: ConfigStore
  audit: AuditLog
  auth: Authenticator
  /** ClickHouse, for what agents reported (host last-seen, unassigned hosts). */
  store: Store
  /** Where callbacks and webhooks may point (OUTBOUND_ALLOW_NETS). */
  outbound: OutboundPolicy
}

/** Opens what the configuration routes need over a NATS connection. */
export async function openConfigApi(
  nc: NatsConnection,
  store: Store,
  outbound = new OutboundPolicy(),
): Promise<ConfigContext> {
  const config = await ConfigStore.open(nc)
  return { config, audit: await AuditLog.open(nc), auth: new Authenticator(config), store, outbound }
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
    visibility: Visibility | null
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error('route registered without authentication')
  return req.principal
}

export function visibilityOf(req: FastifyRequest): Visibility {
  if (!req.visibility) throw new Error('route registered without authentication')
  return req.visibility
}

/** Records a change under the caller's token name. */
export function audit(
  ctx: ConfigContext,
  req: FastifyRequest,
  r: Pick<AuditRecord, 'action' | 'kind' | 'id' | 'before' | 'after' | 'paths'>,
): Promise<void> {
  const p = principalOf(req)
  return ctx.audit.record({ ...r, actor: p.name, actorId: p.tokenId })
}
