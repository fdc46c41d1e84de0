import type { Query } from '../../api.ts'
import type { AlertEvent } from '../../types.ts'

/** Events per page of history. */
export const PAGE_SIZE = 100

/**
 * The query of the page older than what is held: up to the oldest time held (the API's `to`
 * includes it), asking for as many more as are held at that very second, so events sharing it
 * are neither skipped nor an endless loop.
 */
export function olderPage(query: Query, held: readonly AlertEvent[]): Query & { limit: number } {
  const oldest = held.at(-1)?.timestamp
  if (oldest === undefined) return { ...query, limit: PAGE_SIZE }
  const same = held.filter((e) => e.timestamp === oldest).length
  return { ...query, to: oldest, limit: PAGE_SIZE + same }
}

/** Held events followed by the page's new ones; `more` while the API filled the page. */
export function appendPage(
  held: readonly AlertEvent[],
  page: readonly AlertEvent[],
  limit: number,
): { events: AlertEvent[]; more: boolean } {
  const seen = new Set(held.map((e) => e.id))
  return { events: [...held, ...page.filter((e) => !seen.has(e.id))], more: page.length >= limit }
}
