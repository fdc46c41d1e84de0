/**
 * What the component tests share: the API as a stubbed fetch that answers by method and path and
 * records every call, and a page rendered signed in, in a router at a URL.
 */
import { render, screen } from '@testing-library/react'
import type { ReactNode } from 'react'
import { MemoryRouter, useLocation } from 'react-router'
import { vi } from 'vitest'
import { type Me, SessionProvider } from '../src/session.tsx'

/** One request the page made. */
export interface Call {
  method: string
  path: string
  query: URLSearchParams
  body: unknown
  signal: AbortSignal | undefined
}

/** An answer other than 200 with a JSON body. */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown = {},
  ) {}
}

/**
 * A route's answer: a Reply, nothing (204), any other value (200, as JSON), or a function of the
 * call that gives one, or a promise of one (a promise that never settles stays pending).
 */
export type Answer = ((call: Call) => unknown) | Reply | object | string | number | boolean | null | undefined

/**
 * Stubs fetch with the API as `routes` answer it, keyed `METHOD /path` (no query string); they are
 * read at each request, so a test may add to them later. A request no route knows answers 404.
 */
export function fakeApi(routes: Record<string, Answer>): Call[] {
  const calls: Call[] = []
  vi.stubGlobal('fetch', async (input: string, init: RequestInit = {}) => {
    const url = new URL(input, 'http://peregrine.test')
    const call: Call = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      signal: init.signal ?? undefined,
    }
    calls.push(call)
    const key = `${call.method} ${call.path}`
    if (!(key in routes)) return Response.json({ message: `no fake route ${key}` }, { status: 404 })
    const route = routes[key]
    const answer =
      typeof route === 'function' ? await answerOf(route as (call: Call) => unknown, call) : route
    if (answer instanceof Reply)
      return answer.status === 204
        ? new Response(null, { status: 204 })
        : Response.json(answer.body, { status: answer.status })
    return answer === undefined ? new Response(null, { status: 204 }) : Response.json(answer)
  })
  return calls
}

/** What a function route answers; an aborted request rejects, as a browser's does, while it waits. */
function answerOf(route: (call: Call) => unknown, call: Call): Promise<unknown> {
  const aborted = new Promise<never>((_, reject) =>
    call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
  )
  return Promise.race([route(call), aborted])
}

/** Where the router is, for currentUrl(). */
function Location() {
  const { pathname, search } = useLocation()
  return <output data-testid="location">{`${pathname}${search}`}</output>
}

/** The path and query the page has navigated to. */
export const currentUrl = () => screen.getByTestId('location').textContent

/** Renders `ui` (a page, or its routes) signed in as `me`, in a router at `url`. */
export function renderSignedIn(ui: ReactNode, { me, url = '/' }: { me: Me; url?: string }) {
  return render(
    <SessionProvider token="pgt_test" me={me} onSignOut={() => {}}>
      <MemoryRouter initialEntries={[url]}>
        {ui}
        <Location />
      </MemoryRouter>
    </SessionProvider>,
  )
}
