import { z } from 'zod'
import { Role, Subscription, Team, User } from '../model/access.ts'
import { StrategySpec } from '../model/strategy.ts'
import { Exclusion, NodePath } from '../model/tree.ts'

/** Request bodies of the configuration API; shared with the CLI. */

const revision = z.number().int().nonnegative().describe('The revision (or version) the edit is based on')

const nodeOwners = z.array(z.string().max(255)).max(50)
const nodeNote = z.string().max(2000)
const nodeExcludes = z.array(Exclusion).max(200)

export const NodeCreate = z.object({
  path: NodePath,
  owners: nodeOwners.default([]),
  note: nodeNote.default(''),
  excludes: nodeExcludes.default([]),
})
/** Only the fields given change. No defaults here: a note-only edit must not empty owners and excludes. */
export const NodeUpdate = z.object({
  owners: nodeOwners.optional(),
  note: nodeNote.optional(),
  excludes: nodeExcludes.optional(),
  version: revision,
})
export const NodeMove = z.object({ to: NodePath, version: revision })
export const PathParam = z.object({ path: NodePath })
export const DeleteQuery = z.object({
  version: z.coerce.number().int().positive(),
  cascade: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})
export const RecursiveQuery = z.object({
  recursive: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
})

export const HostParam = z.object({ host: z.string().min(1).max(255) })
export const HostBindings = z.object({
  nodes: z.array(NodePath).max(100),
  /** Revision of the host record read; 0 when binding a host for the first time. */
  revision,
})

export const StrategyCreate = z.intersection(StrategySpec, z.object({ node: NodePath.nullable() }))
export const StrategyUpdate = z.intersection(StrategyCreate, z.object({ revision }))
export const IdParam = z.object({ id: z.string().min(1).max(128) })
export const NameParam = z.object({ name: z.string().min(1).max(128) })
export const RevisionQuery = z.object({ revision: z.coerce.number().int().positive() })
export const StrategiesQuery = z.object({
  node: NodePath.optional().describe('Only strategies bound to this node'),
  expressions: z
    .enum(['true', 'false'])
    .optional()
    .describe('Only expressions (true) or only bound ones (false)'),
})

export const UserWrite = z.intersection(User, z.object({ revision: revision.optional() }))
export const TeamWrite = z.intersection(Team, z.object({ revision: revision.optional() }))
export const SubscriptionCreate = Subscription.omit({ id: true, node: true }).extend({ node: NodePath })
export const SubscriptionUpdate = SubscriptionCreate.extend({ revision })
export const TokenCreate = z.object({
  name: z.string().min(1).max(128),
  role: Role,
  scope: z.union([z.literal(''), NodePath]).default(''),
})
