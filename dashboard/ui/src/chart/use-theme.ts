import { useEffect, useState } from 'react'

/**
 * The page's theme (`data-theme` on the root element), followed as it changes: canvas colours
 * are read when a chart is built, so a chart is built again when the theme changes.
 */
export function useTheme(): string {
  const root = document.documentElement
  const [theme, setTheme] = useState(() => root.dataset.theme ?? '')
  useEffect(() => {
    const watch = new MutationObserver(() => setTheme(root.dataset.theme ?? ''))
    watch.observe(root, { attributes: true, attributeFilter: ['data-theme'] })
    return () => watch.disconnect()
  }, [root])
  return theme
}
