import { type ReactNode, useMemo } from 'react'
import { Link, Route, Routes, useParams, useSearchParams } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { SilenceView } from '../alarms/alarm-types.ts'
import { useSuggestions } from '../alarms/use-suggestions.ts'
import { readPrefill } from './prefill.ts'
import { SilenceEditor } from './SilenceEditor.tsx'
import { SilenceList } from './SilenceList.tsx'
import { mayWrite } from './silence-access.ts'
import { formOf, newForm } from './silence-form.ts'
import '../alarms/alarms.css'
import './silences.css'

/** Silences and maintenance windows: the list, a new one (maybe prefilled by a link), a change. */
export default function SilencesPage() {
  return (
    <section>
      <Routes>
        <Route index element={<Titled title="Silences" body={<SilenceList />} />} />
        <Route path="new" element={<Titled title="New silence" body={<NewSilence />} />} />
        <Route path=":id/edit" element={<Titled title="Change silence" body={<EditSilence />} />} />
        <Route path="*" element={<p>No such page.</p>} />
      </Routes>
    </section>
  )
}

function Titled({ title, body }: { title: string; body: ReactNode }) {
  return (
    <>
      <h1>{title}</h1>
      {body}
    </>
  )
}

function NewSilence() {
  const { can } = useSession()
  const [params] = useSearchParams()
  // The link's prefill is read once: the inputs are the user's from then on.
  const initial = useMemo(() => newForm(readPrefill(params), Math.floor(Date.now() / 1000)), [params])
  if (!can('deployer')) return <p>Your role may not create silences.</p>
  return <SilenceEditor key={params.toString()} initial={initial} />
}

function EditSilence() {
  const id = useParams().id ?? ''
  const { can } = useSession()
  const { bound, ready } = useSuggestions()
  const silence = useApi(
    (api, signal) => api.get<SilenceView>(`/api/v1/silences/${seg(id)}`, undefined, signal),
    [id],
  )
  const s = silence.data
  if (!s || !ready)
    return silence.error ? <ErrorNote error={silence.error} /> : <p className="muted">Loading…</p>
  if (!mayWrite(can, s.match, bound))
    return (
      <p>
        Your token may not change this silence. <Link to="/silences">Back to the silences</Link>
      </p>
    )
  return (
    <SilenceEditor
      key={`${s.id}@${s.revision}`}
      initial={formOf(s, Math.floor(Date.now() / 1000))}
      editing={{ id: s.id, revision: s.revision }}
    />
  )
}
