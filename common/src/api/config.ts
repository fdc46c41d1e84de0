import { z } from 'zod'
import { Role, Subscription, Team, User } from '../model/access.ts'
import { StrategySpec } from '../model/strategy.ts'
import { Exclusion, NodePath } from '../model/tree.ts'

/**
 * Request bodies and query strings of the configuration API; shared with the CLI. All strict: an
 * unknown field (a typo such as `recievers`) is a 400 naming it, never silently dropped.
 */

const revision = z.number().int().nonnegative().describe('The revision (or version) the edit is based on')

const nodeOwners = z.array(z.string().max(255)).max(50)
const nodeNote = z.string().max(2000)
const nodeExcludes = z.array(Exclusion).max(200)

/** A node's writable fields. Not strict itself: the CLI reads the API's nodes (with ids) through it. */
export const NodeSpec = z.object({
  path: NodePath,
  owners: nodeOwners.default([]),
  note: nodeNote.default(''),
  excludes: nodeExcludes.default([]),
})
export const NodeCreate = NodeSpec.strict()
/** Only the fields given change. No defaults here: a note-only edit must not empty owners and excludes. */
export const NodeUpdate = z.strictObject({
  owners: nodeOwners.optional(),
  note: nodeNote.optional(),
  excludes: nodeExcludes.optional(),
  version: revision,
})
export const NodeMove = z.strictObject({ to: NodePath, version: revision })
export const PathParam = z.object({ path: NodePath })
export const DeleteQuery = z.strictObject({
  version: z.coerce.number().int().positive(),
  cascade: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})
export const RecursiveQuery = z.strictObject({
  recursive: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})

export const HostParam = z.object({ host: z.string().min(1).max(255) })
export const HostBindings = z.strictObject({
  nodes: z.array(NodePath).max(100),
  /** Revision of the host record read; 0 when binding a host for the first time. */
  revision,
})

// Extended, not intersected: each side of an intersection of strict objects rejects the other's keys.
export const StrategyCreate = StrategySpec.safeExtend({ node: NodePath.nullable() }).strict()
export const StrategyUpdate = StrategyCreate.safeExtend({ revision })
export const IdParam = z.object({ id: z.string().min(1).max(128) })
export const NameParam = z.object({ name: z.string().min(1).max(128) })
export const RevisionQuery = z.strictObject({ revision: z.coerce.number().int().positive() })
export const StrategiesQuery = z.strictObject({
  node: NodePath.optional().describe('Only strategies bound to this node'),
  expressions: z
    .enum(['true', 'false'])
    .optional()
    .describe('Only expressions (true) or only bound ones (false)'),
})

export const UserWrite = User.extend({ revision: revision.optional() }).strict()
export const TeamWrite = Team.extend({ revision: revision.optional() }).strict()
export const SubscriptionCreate = Subscription.omit({ id: true, node: true })
  .extend({ node: NodePath })
  .strict()
export const SubscriptionUpdate = SubscriptionCreate.extend({ revision })
export const TokenCreate = z.strictObject({
  name: z.string().min(1).max(128),
  role: Role,
  scope: z.union([z.literal(''), NodePath]).default(''),
})
