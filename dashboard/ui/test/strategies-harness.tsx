import { Route, Routes } from 'react-router'
import NodeStrategies from '../src/pages/strategies/NodeStrategies.tsx'
import type { Me } from '../src/session.tsx'
import type { StrategyView } from '../src/types.ts'
import { renderSignedIn } from './fake-api.tsx'

export const EDITOR: Me = { tokenId: 't1', name: 'ed', role: 'editor', scope: '' }
export const VIEWER: Me = { tokenId: 't2', name: 'vi', role: 'viewer', scope: '' }

/** The strategies page at `url` (`/nodes/:path/strategies…`), signed in as `me`. */
export function renderAt(url: string, me: Me = EDITOR) {
  return renderSignedIn(
    <Routes>
      <Route path="nodes/:path/strategies/*" element={<NodeStrategies />} />
    </Routes>,
    { me, url },
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
