import { Suspense, useState } from 'react'
import { NavLink, Outlet } from 'react-router'
import { useSession } from '../session.tsx'
import { applyTheme, initialTheme, type Theme } from '../theme.ts'
import { TreeSidebar } from '../tree/TreeSidebar.tsx'

/** Top bar (sections, theme, who is signed in), the service tree on the left, the page beside it. */
export function Shell() {
  const { me, can, signOut } = useSession()
  const [theme, setTheme] = useState<Theme>(() => {
    const t = initialTheme()
    applyTheme(t)
    return t
  })
  const switchTheme = () => {
    const next = theme === 'dark' ? 'light' : 'dark'
    applyTheme(next)
    setTheme(next)
  }
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Peregrine</span>
        <nav aria-label="Sections">
          <NavLink to="/alarms">Alarms</NavLink>
          <NavLink to="/explore">Explore</NavLink>
          <NavLink to="/silences">Silences</NavLink>
          {can('admin') && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <button
          type="button"
          onClick={switchTheme}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☀' : '☾'}
        </button>
        <span className="muted" title={me.scope ? `scope ${me.scope}` : 'whole tree'}>
          {me.name} · {me.role}
          {me.scope ? ` · ${me.scope}` : ''}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <aside className="sidebar">
        <TreeSidebar />
      </aside>
      <main>
        <Suspense fallback={<p className="muted">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
    </div>
  )
}
