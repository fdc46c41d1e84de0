import { z } from 'zod'
import { HostRecord, Role, Subscription, Team, Token, User } from '../model/access.ts'
import { ExtraCondition, Strategy, StrategySpec } from '../model/strategy.ts'
import { Exclusion, NodePath, TreeNode } from '../model/tree.ts'

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

/*
 * Response shapes of the configuration API: the stored models as the API shows them (tree paths for
 * node ids, with the revision to send back). The server also serializes replies through them, so a
 * field missing here would be missing from the reply: they are written from the models' shapes.
 * Tags are plain strings here: the models' tag fields canonicalise on input, which has no inverse.
 */

const Tags = z.string().describe('Canonical tags, k=v,k2=v2 sorted by key')
const storedRevision = z.number().int().positive().describe('Send it back to update or delete')

const ExclusionView = z.object({ ...Exclusion.shape, tags: Tags })
export const NodeView = z.object({
  ...TreeNode.shape,
  excludes: z.array(ExclusionView),
  path: z.string().describe('Dotted path'),
})
export const TreeResponse = z.object({ nodes: z.array(NodeView) })
export const NodeHostsResponse = z.object({
  hosts: z.array(z.object({ host: z.string(), nodes: z.array(z.string()) })),
})

export const HostView = z.object({
  ...HostRecord.shape,
  nodes: z.array(z.string()).describe('Tree paths'),
  revision: storedRevision,
})
export const HostsResponse = z.object({ hosts: z.array(HostView) })
export const UnassignedHostsResponse = z.object({
  hosts: z.array(z.object({ host: z.string(), lastSeen: z.number(), agentVersion: z.string() })),
})

const ExtraConditionView = z.object({ ...ExtraCondition.shape, tags: Tags })
const StrategyShape = { ...Strategy.shape, tags: Tags, also: z.array(ExtraConditionView).optional() }
export const StrategyView = z.object({
  ...StrategyShape,
  node: z.string().nullable().describe('Tree path; null for an expression'),
  revision: storedRevision,
})
export const StrategiesResponse = z.object({ strategies: z.array(StrategyView) })
export const HostStrategiesResponse = z.object({
  host: z.string(),
  strategies: z.array(
    z.object({
      ...StrategyShape,
      node: z.string().nullable().describe('Id of the node it is bound to'),
      from: z.string().optional().describe('Path of the node it comes from'),
    }),
  ),
})

export const UserView = z.object({ ...User.shape, revision: storedRevision })
export const TeamView = z.object({ ...Team.shape, revision: storedRevision })
export const SubscriptionView = z.object({
  ...Subscription.shape,
  node: z.string().nullable().describe('Tree path; null once the node is gone'),
  revision: storedRevision,
})
export const SubscriptionsResponse = z.object({ subscriptions: z.array(SubscriptionView) })

/** Tokens as shown: never the hash. */
const TokenShape = Token.omit({ hash: true }).shape
export const TokensResponse = z.object({
  tokens: z.array(z.object({ ...TokenShape, revision: storedRevision })),
})
/** GET /api/v1/me: who the caller's token is, so a client offers only what the role may do. */
export const WhoAmI = z.object({
  tokenId: z.string(),
  name: z.string(),
  role: Role,
  scope: z.string().describe("Tree path the token acts on; '' for the whole tree"),
})
export const TokenCreated = z.object({
  ...TokenShape,
  token: z.string().describe('pgt_<id>_<secret>: shown once, only its hash is kept'),
})
