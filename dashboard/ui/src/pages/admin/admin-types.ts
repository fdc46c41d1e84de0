/** The access API's answers as this page reads them (type-only: inferred from the server's schemas). */

import type * as api from '@peregrine/common/api/config'
import type { z } from 'zod'

export type TeamView = z.infer<typeof api.TeamView>
/** Contact details come only to whole-tree admins; others get the name. */
export type UserView = z.infer<typeof api.UserView>
export type SubscriptionView = z.infer<typeof api.SubscriptionView>
export type TokenView = z.infer<typeof api.TokensResponse>['tokens'][number]
export type TokenCreated = z.infer<typeof api.TokenCreated>

/**
 * An audit record as GET /api/v1/audit answers it (AuditEntry in common/src/api/audit.ts, whose
 * module this UI cannot type-check: it brings the NATS client's Node types along).
 */
export interface AuditEntry {
  /** Unix seconds, milliseconds as the fraction. */
  at: number
  actor: string
  actorId: string
  action: 'create' | 'update' | 'delete' | 'move'
  kind: string
  id: string
  before: unknown
  after: unknown
  paths: string[]
}
