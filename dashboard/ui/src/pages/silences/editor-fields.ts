import { useMemo, useState } from 'react'
import { checkSilence, type FieldErrors, type SilenceForm } from './silence-form.ts'

/** The editor's inputs, their setter, and the error to show at each field. */
export interface EditorFields {
  form: SilenceForm
  /** Changes inputs; `key` is the body field they make (`match.hosts`), now touched. */
  set(patch: Partial<SilenceForm>, key: string): void
  errorFor(key: string): string | undefined
}

/**
 * The editor's state. Errors are checked as the user types but shown only at fields they have
 * changed, until they try to save (then at all); a field the server refused shows the server's
 * word until it is changed.
 */
export function useEditorFields(initial: SilenceForm) {
  const [form, setForm] = useState(initial)
  const [touched, setTouched] = useState<ReadonlySet<string>>(new Set())
  const [submitted, setSubmitted] = useState(false)
  const [server, setServer] = useState<FieldErrors>({})
  const checked = useMemo(() => checkSilence(form, Date.now() / 1000), [form])

  const fields: EditorFields = {
    form,
    set(patch, key) {
      setForm((f) => ({ ...f, ...patch }))
      // Changing a matcher is also the answer to "a silence needs at least one matcher".
      const keys = key.startsWith('match.') ? [key, 'match'] : [key]
      setTouched((t) => new Set([...t, ...keys]))
      setServer(({ [key]: _, ...rest }) => rest)
    },
    errorFor: (key) => server[key] ?? (submitted || touched.has(key) ? checked.errors[key] : undefined),
  }
  return { fields, checked, setSubmitted, setServer }
}
