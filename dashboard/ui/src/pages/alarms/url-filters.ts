import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'

export type Filters<K extends string> = Record<K, string>

/**
 * Filters kept in the URL's query string, so a link shares the view and Back undoes a change.
 * Setting some leaves the page's other parameters alone; an empty value is removed. `keys` is a
 * constant list (module level): the values are then the same object until the URL changes.
 */
export function useUrlFilters<K extends string>(
  keys: readonly K[],
): [Filters<K>, (changes: Partial<Filters<K>>) => void] {
  const [params, setParams] = useSearchParams()
  const values = useMemo(
    () => Object.fromEntries(keys.map((k) => [k, params.get(k) ?? ''])) as Filters<K>,
    [params, keys],
  )
  const set = useCallback(
    (changes: Partial<Filters<K>>) =>
      setParams((prev) => {
        const next = new URLSearchParams(prev)
        for (const [k, v] of Object.entries(changes) as [K, string | undefined][])
          v ? next.set(k, v) : next.delete(k)
        return next
      }),
    [setParams],
  )
  return [values, set]
}

/** The filters that are set, for the API's query string. */
export const given = <K extends string>(f: Filters<K>): Partial<Filters<K>> =>
  Object.fromEntries(Object.entries(f).filter(([, v]) => v !== '')) as Partial<Filters<K>>
