/**
 * What the alarm and silence component tests share: the answers every page asks for, a page
 * signed in with a role and scope at a URL, and events as the API answers them.
 */
import type { ReactNode } from 'react'
import { Route, Routes } from 'react-router'
import type { Me } from '../src/session.tsx'
import type { FiringEvent } from '../src/types.ts'
import { type Answer, renderSignedIn } from './fake-api.tsx'

/** The empty answers every alarm page asks for besides what a test is about. */
export const QUIET: Record<string, Answer> = {
  'GET /api/v1/tree': { nodes: [] },
  'GET /api/v1/hosts': { hosts: [] },
  'GET /api/v1/strategies': { strategies: [] },
  'GET /api/v1/silences': { silences: [] },
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
  return renderSignedIn(
    <Routes>
      <Route path={route} element={element} />
    </Routes>,
    { me: { tokenId: 't1', name, role, scope }, url },
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
