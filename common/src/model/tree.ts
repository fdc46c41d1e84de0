import { z } from 'zod'
import { canonicalTags } from '../points.ts'

/** One segment of a tree path: what a team would type, and safe in KV keys and NATS subjects. */
export const NodeName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _; up to 63 characters')

/** A dotted tree path, e.g. `corp.infra.web.nginx`. */
export const NodePath = z
  .string()
  .max(512)
  .refine((p) => p.split('.').every((s) => NodeName.safeParse(s).success), 'a dotted path of node names')

/** Canonical `k=v,…` tag text; rejects malformed pairs. */
export const TagText = z
  .string()
  .max(510)
  .default('')
  .transform((text, ctx) => {
    const tags = canonicalTags(text)
    if (tags === null) {
      ctx.addIssue({ code: 'custom', message: 'tags must be k=v pairs separated by commas' })
      return z.NEVER
    }
    return tags
  })

/**
 * Inherited strategies on `metric` + `tags` stop applying at and below the node that lists them.
 * Strict, as every object people write (API bodies, strategies-as-code): a typo is an error.
 */
export const Exclusion = z.strictObject({ metric: z.string().min(1).max(255), tags: TagText })
export type Exclusion = z.infer<typeof Exclusion>

/**
 * A node of the service tree. Nodes have stable ids so that renaming or moving a subtree
 * rewrites only the tree document, never the strategies and host bindings that refer to them.
 */
export const TreeNode = z.object({
  id: z.string(),
  parent: z.string().nullable(),
  name: NodeName,
  owners: z.array(z.string().max(255)).max(50).default([]),
  note: z.string().max(2000).default(''),
  excludes: z.array(Exclusion).max(200).default([]),
  /** Bumped on every change of this node: edits name the version they read (compare-and-set). */
  version: z.number().int().positive().default(1),
})
export type TreeNode = z.infer<typeof TreeNode>

/** The whole tree, one KV value updated by compare-and-set: every structural change is atomic. */
export const TreeDoc = z.object({ nodes: z.array(TreeNode) })
export type TreeDoc = z.infer<typeof TreeDoc>

/** Path lookups over a tree document. */
export class Tree {
  readonly byId = new Map<string, TreeNode>()
  readonly byPath = new Map<string, TreeNode>()
  readonly pathOf = new Map<string, string>()
  readonly children = new Map<string | null, TreeNode[]>()

  constructor(readonly doc: TreeDoc) {
    for (const n of doc.nodes) {
      this.byId.set(n.id, n)
      const siblings = this.children.get(n.parent)
      if (siblings) siblings.push(n)
      else this.children.set(n.parent, [n])
    }
    const walk = (parent: string | null, prefix: string) => {
      for (const n of this.children.get(parent) ?? []) {
        const path = prefix ? `${prefix}.${n.name}` : n.name
        this.pathOf.set(n.id, path)
        this.byPath.set(path, n)
        walk(n.id, path)
      }
    }
    walk(null, '')
  }

  path(id: string): string | undefined {
    return this.pathOf.get(id)
  }

  /** Ids from the root down to `id`, inclusive. */
  lineage(id: string): string[] {
    const out: string[] = []
    for (let n = this.byId.get(id); n; n = n.parent ? this.byId.get(n.parent) : undefined) out.push(n.id)
    return out.reverse()
  }

  /** `id` and every node below it. */
  subtree(id: string): string[] {
    const out = [id]
    for (let i = 0; i < out.length; i++) for (const c of this.children.get(out[i]!) ?? []) out.push(c.id)
    return out
  }

  /** Whether `path` is `scope` or below it. */
  static within(path: string, scope: string): boolean {
    return scope === '' || path === scope || path.startsWith(`${scope}.`)
  }
}
