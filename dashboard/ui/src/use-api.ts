import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react'
import type { Api } from './api.ts'
import { useSession } from './session.tsx'

export interface Loaded<T> {
  data: T | undefined
  error: Error | undefined
  loading: boolean
  reload(): void
}

/**
 * Loads with the session's API and reloads when `deps` change (or every `refreshSeconds`). A
 * newer load cancels the older one, so a slow answer never overwrites a fresher one, and the
 * previous data stays on screen while the next loads (no flicker on auto-refresh).
 */
export function useApi<T>(
  load: (api: Api, signal: AbortSignal) => Promise<T>,
  deps: DependencyList,
  refreshSeconds = 0,
): Loaded<T> {
  const { api } = useSession()
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true })
  const [tick, setTick] = useState(0)
  const loadRef = useRef(load)
  loadRef.current = load
  const reload = useCallback(() => setTick((t) => t + 1), [])
  useEffect(() => {
    const ctrl = new AbortController()
    setState((s) => ({ ...s, loading: true }))
    loadRef.current(api, ctrl.signal).then(
      (data) => !ctrl.signal.aborted && setState({ data, loading: false }),
      (error: Error) => !ctrl.signal.aborted && setState((s) => ({ data: s.data, error, loading: false })),
    )
    return () => ctrl.abort()
  }, [api, tick, ...deps])

  useEffect(() => {
    if (refreshSeconds <= 0) return
    // A hidden tab does not poll: nobody looks, and the server is spared.
    const timer = setInterval(() => document.visibilityState === 'visible' && reload(), refreshSeconds * 1000)
    return () => clearInterval(timer)
  }, [refreshSeconds, reload])

  return { ...state, reload } as Loaded<T>
}
