import { z } from 'zod'

export const ROLES = ['admin', 'editor', 'deployer', 'viewer'] as const
export const Role = z.enum(ROLES)
export type Role = z.infer<typeof Role>

/** An API token as stored: only a salted hash of its secret (scrypt; a bare SHA-256 for tokens made before salting, upgraded on first use). */
export const Token = z.object({
  id: z.string(),
  name: z.string().min(1).max(128),
  role: Role,
  /** Tree path the token may act on ('' = the whole tree). */
  scope: z.string().max(512).default(''),
  hash: z.string().regex(/^([0-9a-f]{64}|scrypt\$\d+\$\d+\$\d+\$[0-9a-f]{32}\$[0-9a-f]{64})$/),
  createdAt: z.number(),
  createdBy: z.string(),
})
export type Token = z.infer<typeof Token>

export const UserName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/, 'letters, digits, _ . @ -')

export const User = z.object({
  name: UserName,
  email: z.email().max(254).optional(),
  phone: z
    .string()
    .regex(/^\+?[0-9 ()-]{3,32}$/, 'a phone number')
    .optional(),
  /** IM robot webhook for this person. */
  imWebhook: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional(),
})
export type User = z.infer<typeof User>

export const Team = z.object({
  name: UserName,
  members: z.array(UserName).max(500).default([]),
  note: z.string().max(2000).default(''),
})
export type Team = z.infer<typeof Team>

/** A team subscribed to the alerts of a subtree, for some priorities. */
export const Subscription = z.object({
  id: z.string(),
  team: UserName,
  node: z.string(),
  priorities: z.array(z.number().int().min(0).max(6)).min(1).max(7).default([0, 1, 2, 3, 4, 5, 6]),
})
export type Subscription = z.infer<typeof Subscription>

/** A host and the tree nodes it is bound to; agents' heartbeats keep lastSeen and version. */
export const HostRecord = z.object({
  host: z.string().min(1).max(255),
  nodes: z.array(z.string()).max(100).default([]),
  lastSeen: z.number().optional(),
  agentVersion: z.string().max(64).optional(),
})
export type HostRecord = z.infer<typeof HostRecord>
