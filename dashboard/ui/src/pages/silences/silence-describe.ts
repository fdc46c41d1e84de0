import { formatLocal } from '../../time/range.ts'
import type { SilenceView } from '../alarms/alarm-types.ts'

export const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const

/** A silence's matchers as short phrases: `node shop.web`, `hosts web-1, web-2`, `P0, P1`. */
export function describeMatch(
  m: SilenceView['match'],
  strategyName: (id: string) => string | undefined = () => undefined,
): string[] {
  const out: string[] = []
  if (m.node !== undefined) out.push(m.node === null ? 'node (deleted)' : `node ${m.node}`)
  if (m.hosts) out.push(`host${m.hosts.length > 1 ? 's' : ''} ${m.hosts.join(', ')}`)
  if (m.strategy) {
    const name = strategyName(m.strategy)
    out.push(`strategy ${name ? `${name} (${m.strategy})` : m.strategy}`)
  }
  if (m.metric) out.push(`metric ${m.metric}`)
  if (m.tags) out.push(`tags ${m.tags}`)
  if (m.priorities) out.push(m.priorities.map((p) => `P${p}`).join(', '))
  return out
}

/** `2026-11-29 13:05 → 15:05` (once) or `Sat 22:00–02:00 Europe/Berlin` (weekly, with its bounds). */
export function describeSchedule(s: SilenceView['schedule']): string {
  if (s.kind === 'once') {
    const from = formatLocal(s.from)
    const to = formatLocal(s.to)
    return `${from} → ${to.slice(0, 10) === from.slice(0, 10) ? to.slice(11) : to}`
  }
  const days = s.days.map((d) => WEEKDAYS[d]).join(', ')
  const bounds = [
    s.from !== undefined && `from ${formatLocal(s.from)}`,
    s.until !== undefined && `until ${formatLocal(s.until)}`,
  ].filter(Boolean)
  return `every ${days} ${s.start}–${s.end} ${s.timeZone}${bounds.length ? `, ${bounds.join(' ')}` : ''}`
}
