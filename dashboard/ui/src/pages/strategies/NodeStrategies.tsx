import { Route, Routes, useNavigate, useParams, useSearchParams } from 'react-router'
import { type Api, seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import type { StrategyView } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { useNodePath } from '../node/NodePage.tsx'
import { emptyForm, formOf } from './form.ts'
import { StrategyEditor } from './StrategyEditor.tsx'
import { StrategyList, strategiesUrl } from './StrategyList.tsx'
import './strategies.css'

/** A node's strategies: the list (`/nodes/:path/strategies`), a new one (`…/new`), one (`…/:id`). */
export default function NodeStrategies() {
  const path = useNodePath()
  return (
    <Routes>
      <Route index element={<StrategyList path={path} />} />
      <Route path="new" element={<NewStrategy path={path} />} />
      <Route path=":id" element={<EditStrategy path={path} />} />
    </Routes>
  )
}

const loadStrategy = (id: string) => (api: Api, signal: AbortSignal) =>
  api.get<StrategyView>(`/api/v1/strategies/${seg(id)}`, undefined, signal)

/**
 * A new strategy bound to the node; with `?override=<id>`, prefilled from that inherited
 * strategy, so that saving it here overrides it on its metric and tags.
 */
function NewStrategy({ path }: { path: string }) {
  const { can } = useSession()
  const navigate = useNavigate()
  const overrides = useSearchParams()[0].get('override')
  const inherited = useApi(
    (api, signal) => (overrides ? loadStrategy(overrides)(api, signal) : Promise.resolve(null)),
    [overrides],
  )
  if (!can('editor', path)) return <p className="muted">Your token cannot create strategies at {path}.</p>
  if (inherited.error) return <ErrorNote error={inherited.error} />
  if (inherited.loading && !inherited.data) return <p className="muted">Loading…</p>
  const base = inherited.data
  return (
    <section>
      <h2>{base ? `Override ${base.name} (from ${base.node}) at ${path}` : `New strategy at ${path}`}</h2>
      <StrategyEditor
        key={base?.id ?? 'new'}
        node={path}
        initial={base ? formOf(base) : emptyForm()}
        readOnly={false}
        onDone={() => navigate(strategiesUrl(path))}
      />
    </section>
  )
}

/** One stored strategy: editable by editors in its node's scope, shown with its preview to others. */
function EditStrategy({ path }: { path: string }) {
  const { can } = useSession()
  const navigate = useNavigate()
  const id = useParams().id ?? ''
  const stored = useApi(loadStrategy(id), [id])
  const s = stored.data
  if (!s) return stored.error ? <ErrorNote error={stored.error} /> : <p className="muted">Loading…</p>
  return (
    <section>
      <h2>
        {s.name} <span className="muted">{s.node === null ? 'expression' : `bound to ${s.node}`}</span>
      </h2>
      <ErrorNote error={stored.error} />
      <StrategyEditor
        key={`${s.id}@${s.revision}`}
        node={s.node}
        initial={formOf(s)}
        stored={{ id: s.id, revision: s.revision }}
        readOnly={!can('editor', s.node ?? '')}
        onDone={() => navigate(strategiesUrl(path))}
        onReload={stored.reload}
      />
    </section>
  )
}
