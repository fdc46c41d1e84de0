import { type FormEvent, useRef, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { ApiError, seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { Field } from '../alarms/Field.tsx'
import { useSuggestions } from '../alarms/use-suggestions.ts'
import { useEditorFields } from './editor-fields.ts'
import { MatchFields } from './MatchFields.tsx'
import { ScheduleFields } from './ScheduleFields.tsx'
import { fieldKey, type SilenceForm } from './silence-form.ts'

/** The silence a change is based on: the server refuses a change of a revision overtaken since. */
export interface Editing {
  id: string
  revision: number
}

/** "body.match.hosts: Too big…" as the field shows it: without the field's name. */
const fieldMessage = (message: string) => message.replace(/^body\.[\w.]+: /, '')

/** The fields shown at their input; an error about another (the whole schedule) is listed above Save. */
const PLACED = new Set([
  'name',
  'match',
  'match.node',
  'match.hosts',
  'match.strategy',
  'match.metric',
  'match.tags',
  'match.priorities',
  'schedule.from',
  'schedule.to',
  'schedule.until',
  'schedule.days',
  'schedule.start',
  'schedule.end',
  'schedule.timeZone',
  'reason',
])

/**
 * Creates a silence, or changes one (`editing`), checked as typed against the API's own schema;
 * a field the server refuses shows its answer there. Saved, it goes back to the list.
 */
export function SilenceEditor({ initial, editing }: { initial: SilenceForm; editing?: Editing }) {
  const { api } = useSession()
  const navigate = useNavigate()
  const suggestions = useSuggestions()
  const { fields, checked, setSubmitted, setServer } = useEditorFields(initial)
  const [error, setError] = useState<unknown>()
  const [busy, setBusy] = useState(false)
  const formRef = useRef<HTMLFormElement>(null)

  const save = async (e: FormEvent) => {
    e.preventDefault()
    setSubmitted(true)
    if (Object.keys(checked.errors).length) {
      // After React shows the errors: take the user to the first.
      setTimeout(() => formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus())
      return
    }
    setBusy(true)
    try {
      if (editing)
        await api.put(`/api/v1/silences/${seg(editing.id)}`, {
          ...(checked.body as object),
          revision: editing.revision,
        })
      else await api.post('/api/v1/silences', checked.body)
      navigate('/silences')
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && err.field && PLACED.has(fieldKey(err.field))) {
        setServer({ [fieldKey(err.field)]: fieldMessage(err.message) })
        setError(undefined)
      } else setError(err)
    } finally {
      setBusy(false)
    }
  }

  const { form, set, errorFor } = fields
  return (
    <form ref={formRef} className="stack silence-form" aria-label="Silence" onSubmit={save} noValidate>
      <MatchFields f={fields} suggestions={suggestions} />
      <ScheduleFields f={fields} />
      <Field
        label="Reason"
        error={errorFor('reason')}
        hint="why; read by whoever wonders why nobody was told"
      >
        {(p) => (
          <textarea
            {...p}
            rows={2}
            value={form.reason}
            onChange={(e) => set({ reason: e.target.value }, 'reason')}
          />
        )}
      </Field>
      <Field
        label="Name (optional)"
        error={errorFor('name')}
        hint="unique; strategies-as-code keeps named ones"
      >
        {(p) => <input {...p} value={form.name} onChange={(e) => set({ name: e.target.value }, 'name')} />}
      </Field>
      <Unshown errors={checked.errors} shown={errorFor} />
      <ErrorNote error={error} />
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {editing ? 'Save changes' : 'Create silence'}
        </button>
        <Link to="/silences">Cancel</Link>
      </div>
    </form>
  )
}

/** Errors of the fields without an input of their own, once shown. */
function Unshown({
  errors,
  shown,
}: {
  errors: Record<string, string>
  shown: (key: string) => string | undefined
}) {
  const rest = Object.keys(errors).filter((k) => !PLACED.has(k) && shown(k))
  if (!rest.length) return null
  return (
    <ul className="field-error" role="alert">
      {rest.map((k) => (
        <li key={k}>
          {k}: {shown(k)}
        </li>
      ))}
    </ul>
  )
}
