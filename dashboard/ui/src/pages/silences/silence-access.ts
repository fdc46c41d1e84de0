import type { Session } from '../../session.tsx'
import type { SilenceView } from '../alarms/alarm-types.ts'

/** Where each bound host is bound (tree paths), as GET /api/v1/hosts tells the token. */
type Bindings = ReadonlyMap<string, readonly string[]>

/**
 * Whether the token may create, change or end a silence of this match, as the server decides it
 * (docs/silences.md, who may do what): a deployer or above; a scoped one only for a node within
 * its scope and hosts bound within it, never for a silence reaching the whole tree.
 */
export function mayWrite(can: Session['can'], match: SilenceView['match'], bound: Bindings): boolean {
  if (!can('deployer')) return false
  if (can('deployer', '')) return true
  if (match.node === undefined && match.hosts === undefined) return false
  if (match.node !== undefined && (match.node === null || !can('deployer', match.node))) return false
  return (match.hosts ?? []).every((h) => (bound.get(h) ?? []).some((p) => can('deployer', p)))
}
