/**
 * What the alarm and silence component tests share: a stubbed API (fetch) answering by method
 * and path and recording every call, a signed-in session of a given role and scope around a
 * router at a URL, and events as the API answers them.
 */
import { render } from '@testing-library/react'
import type { ReactNode } from 'react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { vi } from 'vitest'
import { type Me, SessionProvider } from '../src/session.tsx'
import type { FiringEvent } from '../src/types.ts'

export interface Call {
  method: string
  path: string
  query: URLSearchParams
  body: unknown
}

/** A JSON answer, nothing (204), or a function of the call. */
type Answer = ((call: Call) => unknown) | Record<string, unknown> | undefined

/**
 * Stubs fetch: `answers` by `METHOD /path` (no query); a function answer sees the call. An
 * answer `{ status, body }` with a status ≥ 400 is an error; anything unlisted is a 404.
 */
export function stubApi(answers: Record<string, Answer>): Call[] {
  const calls: Call[] = []
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const u = new URL(url, 'http://ui.test')
    const call: Call = {
      method: init.method ?? 'GET',
      path: u.pathname,
      query: u.searchParams,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    }
    calls.push(call)
    const key = `${call.method} ${call.path}`
    if (!(key in answers)) return Response.json({ message: `no answer for ${key}` }, { status: 404 })
    const answer = answers[key]
    const out = typeof answer === 'function' ? (answer as (c: Call) => unknown)(call) : answer
    if (isError(out)) return Response.json(out.body, { status: out.status })
    return out === undefined ? new Response(null, { status: 204 }) : Response.json(out)
  })
  return calls
}

const isError = (x: unknown): x is { status: number; body: unknown } =>
  typeof x === 'object' && x !== null && 'status' in x && typeof x.status === 'number' && x.status >= 400

/** The empty answers every alarm page asks for besides what a test is about. */
export const QUIET: Record<string, Answer> = {
  'GET /api/v1/tree': { nodes: [] },
  'GET /api/v1/hosts': { hosts: [] },
  'GET /api/v1/strategies': { strategies: [] },
  'GET /api/v1/silences': { silences: [] },
}

/** Where the router is, for assertions on the URL. */
export const location = { current: '' }
function Where() {
  const l = useLocation()
  location.current = `${l.pathname}${l.search}`
  return null
}

/** Renders `element` at `url` (matched by `route`) for a token of `role` and `scope`. */
export function renderAt(
  element: ReactNode,
  {
    url,
    route = '*',
    role = 'admin',
    scope = '',
    name = 'alice',
  }: Partial<Me> & { url: string; route?: string },
) {
  const me: Me = { tokenId: 't1', name, role, scope }
  return render(
    <SessionProvider token="pgt_test" me={me} onSignOut={() => {}}>
      <MemoryRouter initialEntries={[url]}>
        <Where />
        <Routes>
          <Route path={route} element={element} />
        </Routes>
      </MemoryRouter>
    </SessionProvider>,
  )
}

let serial = 0
/** A firing event; `paths` where its host is bound, the rest as given. */
export function firing(over: {
  endpoint?: string
  priority?: number
  timestamp?: number
  paths?: string[]
  ack?: FiringEvent['ack']
  strategy?: string
  metric?: string
}): FiringEvent {
  serial++
  const n = serial.toString(16).padStart(8, '0')
  return {
    id: `aaaaaaaa${n}`,
    key: `bbbbbbbb${n}`,
    status: 'PROBLEM',
    kind: 'value',
    step: 1,
    timestamp: over.timestamp ?? 1_800_000_000,
    value: 9,
    flapping: false,
    endpoint: over.endpoint ?? 'web-1',
    metric: over.metric ?? 'app.errors',
    tags: '',
    strategy: {
      id: over.strategy ?? 's_errors',
      name: 'errors-high',
      node: 'n_1',
      priority: over.priority ?? 1,
      condition: 'all(#1) app.errors > 5',
      operator: '>',
      threshold: 5,
      note: '',
      receivers: [],
      callbackUrl: null,
    },
    paths: over.paths ?? ['shop.web'],
    judgedAt: 1_800_000_000.5,
    ack: over.ack ?? null,
  }
}
