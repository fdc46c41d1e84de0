import {
  type Silence,
  type SilenceMatch,
  type SilenceView,
  silenceState,
  Tree,
  type Versioned,
} from '@peregrine/common'
import type { z } from 'zod'
import { HttpError, type Principal, requireScope } from '../auth.ts'
import type { Visibility } from '../visibility.ts'
import type { ConfigContext } from './context.ts'

/** The tree, and the tree paths each bound host is bound at: where a silence reaches. */
export interface Place {
  tree: Tree
  bound: Map<string, string[]>
}

export async function placeOf(ctx: ConfigContext): Promise<Place> {
  const [{ tree }, hosts] = await Promise.all([ctx.config.tree(), ctx.config.hosts.list()])
  const bound = new Map(hosts.map((h) => [h.value.host, h.value.nodes.flatMap((n) => tree.path(n) ?? [])]))
  return { tree, bound }
}

const boundAt = (place: Place, host: string) => place.bound.get(host) ?? []

/** The paths a silence concerns, for audit records: its node, else its hosts' nodes, else the whole tree. */
export function pathsOf(m: SilenceMatch, place: Place): string[] {
  if (m.node !== undefined) return [place.tree.path(m.node) ?? '']
  if (m.hosts !== undefined) return [...new Set(m.hosts.flatMap((h) => boundAt(place, h)))]
  return ['']
}

/**
 * Whether the token sees a silence: one that may hold back events of hosts it sees. A node above
 * the scope reaches into it (like an inherited strategy); a silence with neither node nor hosts
 * reaches everywhere; one on a node that is gone, whole-tree tokens only.
 */
export function readable(v: Visibility, m: SilenceMatch, place: Place): boolean {
  if (v.wholeTree) return true
  const path = m.node === undefined ? undefined : place.tree.path(m.node)
  if (m.node !== undefined && (path === undefined || !v.node(path))) return false
  return m.hosts === undefined || m.hosts.some((h) => v.host(boundAt(place, h)))
}

/** A scoped token silences its subtree or hosts bound in it, nothing wider (403 saying why). */
export function requireWritable(p: Principal, v: Visibility, m: SilenceMatch, place: Place): void {
  if (v.wholeTree) return
  if (m.node === undefined && m.hosts === undefined)
    throw new HttpError(
      403,
      `a silence without node or hosts reaches the whole tree; the token is scoped to ${p.scope}: name a node or hosts within it`,
    )
  if (m.node !== undefined) requireScope(p, place.tree.path(m.node) ?? '')
  for (const h of m.hosts ?? [])
    if (!v.host(boundAt(place, h)))
      throw new HttpError(403, `host ${h} is not bound within the token's scope ${p.scope}`)
}

/** Whether a silence may hold back events under `path`: its node above, at or below it, and its hosts there. */
export function reaches(m: SilenceMatch, path: string, place: Place): boolean {
  const node = m.node === undefined ? undefined : place.tree.path(m.node)
  if (m.node !== undefined && (node === undefined || !(Tree.within(node, path) || Tree.within(path, node))))
    return false
  return m.hosts === undefined || m.hosts.some((h) => boundAt(place, h).some((b) => Tree.within(b, path)))
}

/** A silence as the API shows it: its node's path, its state at `now`, its revision. */
export function silenceView(tree: Tree, s: Versioned<Silence>, now: number): z.output<typeof SilenceView> {
  const { node, ...match } = s.value.match
  return {
    ...s.value,
    match: node === undefined ? match : { ...match, node: tree.path(node) ?? null },
    state: silenceState(s.value, now),
    revision: s.revision,
  }
}
