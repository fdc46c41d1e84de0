import { useCallback } from 'react'
import { type CheckedForm, useCheckedForm } from '../../forms/use-checked-form.ts'
import { checkSilence, fieldKey, type SilenceForm } from './silence-form.ts'

/** The editor's inputs, their setter, and the error to show at each field. */
export interface EditorFields {
  form: SilenceForm
  /** Changes inputs; `key` is the body field they make (`match.hosts`), now touched. */
  set(patch: Partial<SilenceForm>, key: string): void
  errorFor(key: string): string | undefined
}

/** The fields shown at their input; an error about another (the whole schedule) is listed above Save. */
export const PLACED = new Set([
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
 * The editor's state, checked as the user types against the API's own schema (checkSilence); a
 * field the server refuses shows the server's word until it is changed.
 */
export function useEditorFields(initial: SilenceForm): {
  checked: CheckedForm<SilenceForm, unknown>
  fields: EditorFields
} {
  const check = useCallback((f: SilenceForm) => checkSilence(f, Date.now() / 1000), [])
  const checked = useCheckedForm({
    initial,
    check,
    fieldOf: (err) => {
      const key = err.status === 400 && err.field ? fieldKey(err.field) : undefined
      return key !== undefined && PLACED.has(key) ? key : undefined
    },
  })
  const fields: EditorFields = {
    form: checked.values,
    // Changing a matcher is also the answer to "a silence needs at least one matcher".
    set: (patch, key) => checked.change(patch, ...(key.startsWith('match.') ? [key, 'match'] : [key])),
    errorFor: checked.error,
  }
  return { checked, fields }
}
