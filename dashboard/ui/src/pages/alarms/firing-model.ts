import type { Session } from '../../session.tsx'
import type { FiringEvent } from '../../types.ts'

/** Firing alarms of one priority, newest first. */
export interface PriorityGroup {
  priority: number
  events: FiringEvent[]
}

/** Groups by priority, the most urgent (P0) first; within a group the newest first. */
export function groupByPriority(events: readonly FiringEvent[]): PriorityGroup[] {
  const groups = new Map<number, FiringEvent[]>()
  for (const e of events) {
    const p = e.strategy.priority
    groups.set(p, [...(groups.get(p) ?? []), e])
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([priority, list]) => ({
      priority,
      events: list.sort((a, b) => b.timestamp - a.timestamp || a.endpoint.localeCompare(b.endpoint)),
    }))
}

/** Which alarms to show by acknowledgement: any, not yet, someone's, or the signed-in user's. */
export const ACK_FILTERS = [
  { value: '', label: 'Any' },
  { value: 'no', label: 'Not acknowledged' },
  { value: 'yes', label: 'Acknowledged' },
  { value: 'me', label: 'Acknowledged by me' },
] as const
export type AckFilter = (typeof ACK_FILTERS)[number]['value']

export function byAck(events: readonly FiringEvent[], filter: string, me: string): FiringEvent[] {
  if (filter === 'no') return events.filter((e) => !e.ack)
  if (filter === 'yes') return events.filter((e) => e.ack)
  if (filter === 'me') return events.filter((e) => e.ack?.by === me)
  return [...events]
}

/**
 * Whether the signed-in token may acknowledge or silence the event: deployer or above, with a
 * scope holding one of the nodes its host is bound to (a host bound nowhere: whole-tree tokens).
 */
export const mayAct = (can: Session['can'], e: Pick<FiringEvent, 'paths'>) =>
  can('deployer', '') || e.paths.some((p) => can('deployer', p))
