import type { WhoAmI } from '@peregrine/common/api/config'
import { createContext, type ReactNode, useCallback, useContext, useMemo } from 'react'
import type { z } from 'zod'
import { Api } from './api.ts'

export type Me = z.infer<typeof WhoAmI>
export type Role = Me['role']

const RANK: Record<Role, number> = { viewer: 0, deployer: 1, editor: 2, admin: 3 }

/** Whether a token of role `have` may do what needs `need`: the UI offers only that. */
export const allows = (have: Role, need: Role) => RANK[have] >= RANK[need]

/** Whether `path` is the scope or below it ('' is the whole tree). */
export const withinScope = (path: string, scope: string) =>
  scope === '' || path === scope || path.startsWith(`${scope}.`)

export interface Session {
  api: Api
  me: Me
  can(role: Role, path?: string): boolean
  signOut(): void
}

// The token lives as long as the tab (sessionStorage): closing it signs out, and no cookie exists
// for another site to ride on.
const STORAGE_KEY = 'peregrine.token'

const SessionContext = createContext<Session | null>(null)

export function useSession(): Session {
  const s = useContext(SessionContext)
  if (!s) throw new Error('useSession outside a signed-in page')
  return s
}

/** Checks a token against the API: who it is, or the reason it is refused. */
export async function signIn(token: string): Promise<Me> {
  const me = await new Api(token).get<Me>('/api/v1/me')
  sessionStorage.setItem(STORAGE_KEY, token)
  return me
}

export const storedToken = () => sessionStorage.getItem(STORAGE_KEY)

export function SessionProvider(props: {
  token: string
  me: Me
  onSignOut: () => void
  children: ReactNode
}) {
  const { token, me, onSignOut } = props
  const signOut = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY)
    onSignOut()
  }, [onSignOut])
  const session = useMemo<Session>(
    () => ({
      api: new Api(token, signOut),
      me,
      can: (role, path) => allows(me.role, role) && (path === undefined || withinScope(path, me.scope)),
      signOut,
    }),
    [token, me, signOut],
  )
  return <SessionContext.Provider value={session}>{props.children}</SessionContext.Provider>
}
