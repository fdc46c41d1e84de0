import { useCallback, useEffect, useState } from 'react'
import { useSearchParams } from 'react-router'
import { DEFAULT_RANGE, type RangeSpec, resolveRange } from './range.ts'

export interface RangeState {
  spec: RangeSpec
  /** Both ends in unix seconds, resolved at the last refresh. */
  from: number
  to: number
  /** Seconds between refreshes; 0 is off. */
  refresh: number
  setSpec(spec: RangeSpec): void
  setRefresh(seconds: number): void
}

const nowSeconds = () => Math.floor(Date.now() / 1000)

/**
 * The time range and auto-refresh of a page, kept in the URL (`from`, `to`, `refresh`), so a link
 * shares the view. A relative range is resolved again at every refresh.
 */
export function useRange(): RangeState {
  const [params, setParams] = useSearchParams()
  const spec: RangeSpec = {
    from: params.get('from') ?? DEFAULT_RANGE.from,
    to: params.get('to') ?? DEFAULT_RANGE.to,
  }
  const refresh = Number(params.get('refresh') ?? 0) || 0
  const [now, setNow] = useState(nowSeconds)

  useEffect(() => {
    if (refresh <= 0) return
    const timer = setInterval(
      () => document.visibilityState === 'visible' && setNow(nowSeconds()),
      refresh * 1000,
    )
    return () => clearInterval(timer)
  }, [refresh])

  const update = useCallback(
    (changes: Record<string, string | null>) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev)
          for (const [k, v] of Object.entries(changes)) v === null ? next.delete(k) : next.set(k, v)
          return next
        },
        { replace: false },
      )
      setNow(nowSeconds())
    },
    [setParams],
  )
  const { from, to } = resolveRange(spec, now)
  return {
    spec,
    from,
    to,
    refresh,
    setSpec: (s) => update({ from: s.from, to: s.to }),
    setRefresh: (seconds) => update({ refresh: seconds ? String(seconds) : null }),
  }
}
