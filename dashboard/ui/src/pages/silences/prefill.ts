import { queryString } from '../../api.ts'

/**
 * A new silence as a link prefills it (an alarm's "Silence…"): what to match and for how many
 * hours from now. Plain query parameters, so the link can be shared or bookmarked.
 */
export interface Prefill {
  node?: string
  hosts?: string[]
  strategy?: string
  metric?: string
  tags?: string
  priorities?: number[]
  hours?: number
}

/** How long a silence made from an alarm lasts unless changed: long enough to fix, short enough to forget. */
export const DEFAULT_HOURS = 2

export function silenceLink(p: Prefill): string {
  return `/silences/new${queryString({
    node: p.node,
    host: p.hosts,
    strategy: p.strategy,
    metric: p.metric,
    tags: p.tags,
    priority: p.priorities,
    hours: p.hours,
  })}`
}

export function readPrefill(params: URLSearchParams): Prefill {
  const text = (k: string) => params.get(k) || undefined
  const hours = Number(params.get('hours'))
  const priorities = params
    .getAll('priority')
    .map(Number)
    .filter((n) => Number.isInteger(n))
  const hosts = params.getAll('host').filter(Boolean)
  return {
    node: text('node'),
    hosts: hosts.length ? hosts : undefined,
    strategy: text('strategy'),
    metric: text('metric'),
    tags: text('tags'),
    priorities: priorities.length ? priorities : undefined,
    hours: hours > 0 ? hours : DEFAULT_HOURS,
  }
}
