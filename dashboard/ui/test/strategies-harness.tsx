import { render } from '@testing-library/react'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { vi } from 'vitest'
import NodeStrategies from '../src/pages/strategies/NodeStrategies.tsx'
import { type Me, SessionProvider } from '../src/session.tsx'
import type { StrategyView } from '../src/types.ts'

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

/** Answers a call: a value is a 200 JSON answer; a promise that never settles stays pending. */
export type Handler = (call: Call) => unknown

/**
 * The API as a fake `fetch`: routes keyed `METHOD /path` (no query string). A request the routes
 * do not know fails the test by answering 599. An aborted request rejects, as a browser's does.
 */
export function fakeApi(routes: Record<string, Handler>): Call[] {
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
    const handler = routes[`${call.method} ${call.path}`]
    const aborted = new Promise<never>((_, reject) =>
      call.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))),
    )
    const answer = handler
      ? await Promise.race([Promise.resolve(handler(call)), aborted])
      : new Reply(599, { message: `no fake route ${call.method} ${call.path}` })
    const { status, body } = answer instanceof Reply ? answer : { status: 200, body: answer }
    return status === 204
      ? new Response(null, { status })
      : new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  })
  return calls
}

export const EDITOR: Me = { tokenId: 't1', name: 'ed', role: 'editor', scope: '' }
export const VIEWER: Me = { tokenId: 't2', name: 'vi', role: 'viewer', scope: '' }

/** Where the page navigated to, for the test to read. */
function Location() {
  const { pathname, search } = useLocation()
  return <output data-testid="location">{`${pathname}${search}`}</output>
}

/** The strategies page at `url` (`/nodes/:path/strategies…`), signed in as `me`. */
export function renderAt(url: string, me: Me = EDITOR) {
  return render(
    <SessionProvider token="pgt_000000000000_test" me={me} onSignOut={() => {}}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="nodes/:path/strategies/*" element={<NodeStrategies />} />
        </Routes>
        <Location />
      </MemoryRouter>
    </SessionProvider>,
  )
}

/** A stored strategy as the API shows it, with the defaults the schema gives. */
export function strategyView(
  fields: Partial<StrategyView> & Pick<StrategyView, 'id' | 'name'>,
): StrategyView {
  return {
    node: 'shop',
    metric: 'cpu.busy',
    tags: '',
    fn: 'all',
    window: '#3',
    operator: '>',
    threshold: 90,
    priority: 3,
    maxNotifications: 3,
    minIntervalSeconds: 300,
    note: '',
    receivers: [],
    enabled: true,
    revision: 1,
    ...fields,
  }
}
