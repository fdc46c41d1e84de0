import { lazy, useCallback, useEffect, useState } from 'react'
import { BrowserRouter, Navigate, Route, Routes } from 'react-router'
import { Shell } from './layout/Shell.tsx'
import { SignIn } from './pages/SignIn.tsx'
import { type Me, SessionProvider, signIn, storedToken } from './session.tsx'

// Pages load on demand: the first paint needs only the shell and the tree.
const NodePage = lazy(() => import('./pages/node/NodePage.tsx'))
const NodeHosts = lazy(() => import('./pages/node/NodeHosts.tsx'))
const NodeHealth = lazy(() => import('./pages/node/NodeHealth.tsx'))
const NodeStrategies = lazy(() => import('./pages/strategies/NodeStrategies.tsx'))
const NodeAlarms = lazy(() => import('./pages/alarms/NodeAlarms.tsx'))
const NodeScreens = lazy(() => import('./pages/screens/NodeScreens.tsx'))
const HostPage = lazy(() => import('./pages/host/HostPage.tsx'))
const ExplorePage = lazy(() => import('./pages/explore/ExplorePage.tsx'))
const AlarmsPage = lazy(() => import('./pages/alarms/AlarmsPage.tsx'))
const SilencesPage = lazy(() => import('./pages/silences/SilencesPage.tsx'))
const AdminPage = lazy(() => import('./pages/admin/AdminPage.tsx'))

type SignedIn = { token: string; me: Me }

export function App() {
  const [session, setSession] = useState<SignedIn | null>(null)
  const [checking, setChecking] = useState(() => storedToken() !== null)
  // A reload of the tab keeps the user signed in while the token stays valid.
  useEffect(() => {
    const token = storedToken()
    if (!token) return
    signIn(token)
      .then((me) => setSession({ token, me }))
      .catch(() => sessionStorage.clear())
      .finally(() => setChecking(false))
  }, [])
  const onSignOut = useCallback(() => setSession(null), [])

  if (checking) return <p className="muted">Loading…</p>
  if (!session) return <SignIn onSignedIn={(token, me) => setSession({ token, me })} />
  return (
    <SessionProvider token={session.token} me={session.me} onSignOut={onSignOut}>
      <BrowserRouter>
        <Routes>
          <Route element={<Shell />}>
            <Route index element={<Navigate to="/alarms" replace />} />
            <Route path="nodes/:path" element={<NodePage />}>
              <Route index element={<NodeHosts />} />
              <Route path="strategies/*" element={<NodeStrategies />} />
              <Route path="alarms" element={<NodeAlarms />} />
              <Route path="screens/*" element={<NodeScreens />} />
              <Route path="health" element={<NodeHealth />} />
            </Route>
            <Route path="hosts/:host" element={<HostPage />} />
            <Route path="explore" element={<ExplorePage />} />
            <Route path="alarms/*" element={<AlarmsPage />} />
            <Route path="silences/*" element={<SilencesPage />} />
            <Route path="admin/*" element={<AdminPage />} />
            <Route path="*" element={<p>No such page.</p>} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  )
}
