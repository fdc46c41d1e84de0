import { SCREEN_LIMITS } from '@peregrine/common/model/screen-limits'
import { type FormEvent, useState } from 'react'
import { Link, useNavigate, useParams } from 'react-router'
import { ApiError, seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import { useNodePath } from '../node/NodePage.tsx'
import { ChartEditor } from './ChartEditor.tsx'
import { addChart, bodyOf, type Draft, draftOf, rename } from './draft.ts'
import { screensUrl } from './links.ts'
import type { ScreenView } from './types.ts'

/** Creates a screen on the node (`screens/new`) or edits one (`screens/:id/edit`); editors in scope. */
export default function ScreenEditor() {
  const path = useNodePath()
  const { id } = useParams()
  const screen = useApi(
    (api, signal) =>
      id === undefined
        ? Promise.resolve(undefined)
        : api.get<ScreenView>(`/api/v1/screens/${seg(id)}`, undefined, signal),
    [id],
  )
  if (screen.error) return <ErrorNote error={screen.error} />
  if (id !== undefined && !screen.data) return <p className="muted">Loading…</p>
  // A new revision (loaded after a conflict) starts a new draft from it.
  return (
    <EditorForm key={screen.data?.revision ?? 'new'} base={screen.data} path={path} reload={screen.reload} />
  )
}

interface Problem {
  error: unknown
  /** Someone saved the screen after it was read: the draft's revision is stale. */
  stale: boolean
}

function EditorForm({ base, path, reload }: { base: ScreenView | undefined; path: string; reload(): void }) {
  const { api, can, me } = useSession()
  const navigate = useNavigate()
  const [draft, setDraft] = useState<Draft>(() => draftOf(base, path))
  const [problem, setProblem] = useState<Problem>()
  const [busy, setBusy] = useState(false)
  const edit = (change: (d: Draft) => Draft) => setDraft(change)

  if (!can('editor', draft.node))
    return (
      <p className="muted">
        Editing screens on {draft.node} needs the editor role within it; this token is {me.role}
        {me.scope ? ` of ${me.scope}` : ''}.
      </p>
    )

  const field = problem?.error instanceof ApiError ? problem.error.field : undefined
  /** Tells a stale revision from the other 409s (a name taken, a full node) by reading the screen again. */
  const explain = async (error: unknown) => {
    let stale = false
    if (error instanceof ApiError && error.status === 409 && base) {
      const now = await api.get<ScreenView>(`/api/v1/screens/${seg(base.id)}`).catch(() => null)
      stale = now?.revision !== base.revision
    }
    setProblem({ error, stale })
    const at = error instanceof ApiError ? error.field : undefined
    if (at) document.querySelector<HTMLElement>(`[data-field="${CSS.escape(at)}"]`)?.focus()
  }
  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    try {
      await action()
    } catch (error) {
      await explain(error)
    } finally {
      setBusy(false)
    }
  }
  const save = (e: FormEvent) => {
    e.preventDefault()
    return run(async () => {
      const body = bodyOf(draft)
      const saved = base
        ? await api.put<ScreenView>(`/api/v1/screens/${seg(base.id)}`, { ...body, revision: base.revision })
        : await api.post<ScreenView>('/api/v1/screens', body)
      navigate(`${screensUrl(path)}/${seg(saved.id)}`)
    })
  }
  const remove = () =>
    run(async () => {
      await api.delete(`/api/v1/screens/${seg(base!.id)}`, { revision: base!.revision })
      navigate(screensUrl(path))
    })

  return (
    <form className="stack screen-editor" aria-label="Screen editor" onSubmit={save}>
      <h2>{base ? `Edit ${base.name}` : `New screen on ${path}`}</h2>
      <label>
        Name
        <input
          value={draft.name}
          maxLength={SCREEN_LIMITS.name}
          onChange={(e) => setDraft((d) => rename(d, e.target.value))}
          data-field="name"
          aria-invalid={field === 'name' || undefined}
        />
      </label>
      {draft.charts.map((chart, i) => (
        <ChartEditor
          key={chart.key}
          chart={chart}
          index={i}
          count={draft.charts.length}
          edit={edit}
          invalid={field}
        />
      ))}
      {draft.charts.length === 0 && <p className="muted">No charts yet.</p>}
      <div>
        <button
          type="button"
          disabled={draft.charts.length >= SCREEN_LIMITS.charts}
          onClick={() => setDraft(addChart)}
        >
          Add chart
        </button>
      </div>
      {problem?.stale ? (
        <Conflict error={problem.error} reload={reload} />
      ) : (
        <ErrorNote error={problem?.error} />
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          Save
        </button>
        <Link to={base ? `${screensUrl(path)}/${seg(base.id)}` : screensUrl(path)}>Cancel</Link>
        <span className="spacer" />
        {base && <DeleteButton name={base.name} busy={busy} onConfirm={remove} />}
      </div>
    </form>
  )
}

/** A save refused because someone saved first: say so plainly and offer their version. */
function Conflict({ error, reload }: { error: unknown; reload(): void }) {
  return (
    <div role="alert" className="conflict">
      <p>
        <strong>Not saved: someone else changed this screen since you opened it.</strong>{' '}
        <span className="muted">({error instanceof Error ? error.message : String(error)})</span>
      </p>
      <p>Your changes are still in the form. Loading the saved version shows theirs and discards yours.</p>
      <button type="button" onClick={reload}>
        Load the saved version
      </button>
    </div>
  )
}

/** Deleting asks once more, in the page (no browser dialog), naming what goes. */
function DeleteButton({ name, busy, onConfirm }: { name: string; busy: boolean; onConfirm(): void }) {
  const [asking, setAsking] = useState(false)
  if (!asking)
    return (
      <button type="button" className="danger" onClick={() => setAsking(true)}>
        Delete screen
      </button>
    )
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of two buttons, not a form section
    <span role="group" aria-label="Confirm deletion" className="row">
      <span>Delete {name} for everyone?</span>
      <button type="button" className="danger" disabled={busy} onClick={onConfirm}>
        Yes, delete
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Keep it
      </button>
    </span>
  )
}
