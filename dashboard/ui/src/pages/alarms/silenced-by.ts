import type { Silence } from '@peregrine/common/model/alarm'
import { silenceMatches } from '@peregrine/common/model/alarm-rules'
import { Tree } from '@peregrine/common/model/tree'
import type { FiringEvent, TreeNodeView } from '../../types.ts'
import type { SilenceView } from './alarm-types.ts'

/**
 * The silences holding each firing event at `now` (by event key), decided by the alarm's own
 * rules: the API shows a silence's node as a path, the rules want the node's id, so the tree
 * translates back. A silence on a node that is gone holds nothing.
 */
export function silencesHolding(
  events: readonly FiringEvent[],
  silences: readonly SilenceView[],
  nodes: readonly TreeNodeView[],
  now: number,
): Map<string, SilenceView[]> {
  const tree = new Tree({ nodes: [...nodes] })
  const rules = silences.flatMap((view) => {
    const { node, ...match } = view.match
    if (node === null) return []
    const id = node === undefined ? undefined : tree.byPath.get(node)?.id
    if (node !== undefined && id === undefined) return []
    const stored: Silence = { ...view, match: id === undefined ? match : { ...match, node: id } }
    return [{ view, stored }]
  })
  const out = new Map<string, SilenceView[]>()
  for (const e of events) {
    const holding = rules.filter((r) => silenceMatches(r.stored, e, now, tree)).map((r) => r.view)
    if (holding.length) out.set(e.key, holding)
  }
  return out
}
