import { Navigate, NavLink, Route, Routes } from 'react-router'
import { useSession } from '../../session.tsx'
import AuditTab from './AuditTab.tsx'
import SubscriptionsTab from './SubscriptionsTab.tsx'
import TeamsTab from './TeamsTab.tsx'
import TokensTab from './TokensTab.tsx'
import UsersTab from './UsersTab.tsx'
import './admin.css'

const TABS = [
  { path: 'teams', label: 'Teams', Page: TeamsTab },
  { path: 'users', label: 'Users', Page: UsersTab },
  { path: 'subscriptions', label: 'Subscriptions', Page: SubscriptionsTab },
  { path: 'tokens', label: 'Tokens', Page: TokensTab },
  { path: 'audit', label: 'Audit log', Page: AuditTab },
] as const

/** Administration: teams, users, subscriptions, tokens and the audit log, one tab each under /admin. */
export default function AdminPage() {
  const { can, me } = useSession()
  if (!can('admin')) return <p>Administration needs an admin token; this one is a {me.role}.</p>
  return (
    <section>
      <h1>Administration{me.scope && <span className="muted"> · {me.scope}</span>}</h1>
      <nav className="tabs" aria-label="Administration">
        {TABS.map((t) => (
          <NavLink key={t.path} to={`/admin/${t.path}`}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      <Routes>
        <Route index element={<Navigate to={TABS[0].path} replace />} />
        {TABS.map(({ path, Page }) => (
          <Route key={path} path={path} element={<Page />} />
        ))}
        <Route path="*" element={<p>No such page.</p>} />
      </Routes>
    </section>
  )
}
