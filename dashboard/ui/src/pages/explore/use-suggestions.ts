import { useEffect, useRef, useState } from 'react'

/** Typing settles for this long before suggestions are asked for: one request per pause. */
export const SUGGEST_DELAY_MS = 150
/** Suggestions offered at once: the rest come by typing more. */
const SHOWN = 20

/**
 * Suggestions for what is typed, asked of `load` once typing pauses. A newer question aborts the
 * older, so a slow answer never replaces a fresher one; a failed one offers nothing. Asked again
 * when `load` changes (it depends on other fields).
 */
export function useSuggestions(
  typed: string,
  load: (prefix: string, signal: AbortSignal) => Promise<string[]>,
): string[] {
  const [found, setFound] = useState<string[]>([])
  const loadRef = useRef(load)
  loadRef.current = load
  useEffect(() => {
    const ctrl = new AbortController()
    const timer = setTimeout(() => {
      loadRef.current(typed, ctrl.signal).then(
        (options) => !ctrl.signal.aborted && setFound(options.slice(0, SHOWN)),
        () => !ctrl.signal.aborted && setFound([]),
      )
    }, SUGGEST_DELAY_MS)
    return () => {
      clearTimeout(timer)
      ctrl.abort()
    }
  }, [typed, load])
  return found
}
