import type { FormEvent } from 'react'
import { Link, useNavigate } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { Field } from '../../forms/Field.tsx'
import type { FieldErrors } from '../../forms/use-checked-form.ts'
import { useSession } from '../../session.tsx'
import { useSuggestions } from '../alarms/use-suggestions.ts'
import { PLACED, useEditorFields } from './editor-fields.ts'
import { MatchFields } from './MatchFields.tsx'
import { ScheduleFields } from './ScheduleFields.tsx'
import type { SilenceForm } from './silence-form.ts'

/** The silence a change is based on: the server refuses a change of a revision overtaken since. */
export interface Editing {
  id: string
  revision: number
}

/**
 * Creates a silence, or changes one (`editing`), checked as typed against the API's own schema;
 * a field the server refuses shows its answer there. Saved, it goes back to the list.
 */
export function SilenceEditor({ initial, editing }: { initial: SilenceForm; editing?: Editing }) {
  const { api } = useSession()
  const navigate = useNavigate()
  const suggestions = useSuggestions()
  const { fields, checked } = useEditorFields(initial)

  const save = (e: FormEvent) => {
    e.preventDefault()
    return checked.submit(async (body) => {
      if (editing)
        await api.put(`/api/v1/silences/${seg(editing.id)}`, {
          ...(body as object),
          revision: editing.revision,
        })
      else await api.post('/api/v1/silences', body)
      navigate('/silences')
    })
  }

  const { form, set, errorFor } = fields
  return (
    <form ref={checked.ref} className="stack silence-form" aria-label="Silence" onSubmit={save} noValidate>
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
      <ErrorNote error={checked.failure} />
      <div className="row">
        <button type="submit" className="primary" disabled={checked.busy}>
          {editing ? 'Save changes' : 'Create silence'}
        </button>
        <Link to="/silences">Cancel</Link>
      </div>
    </form>
  )
}

/** Errors of the fields without an input of their own, once shown. */
function Unshown({ errors, shown }: { errors: FieldErrors; shown: (key: string) => string | undefined }) {
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
