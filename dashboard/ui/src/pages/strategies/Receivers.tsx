import { useContext } from 'react'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useApi } from '../../use-api.ts'
import { FieldsContext, idOf } from './fields.tsx'

/**
 * The teams notified, picked from the existing ones (the server refuses a name no team has). A
 * receiver whose team is gone stays listed, checked, so that it can be taken off.
 */
export function Receivers(props: { value: readonly string[]; onChange(receivers: string[]): void }) {
  const { errorOf, disabled } = useContext(FieldsContext)
  const teams = useApi(
    (api, signal) => api.get<{ teams: { name: string }[] }>('/api/v1/teams', undefined, signal),
    [],
  )
  const names = [...new Set([...(teams.data?.teams.map((t) => t.name) ?? []), ...props.value])].sort()
  const error = errorOf('receivers')
  const id = idOf('receivers')
  const toggle = (name: string, on: boolean) =>
    props.onChange(on ? [...props.value, name] : props.value.filter((r) => r !== name))
  return (
    <fieldset
      id={id}
      tabIndex={-1}
      className="receivers"
      disabled={disabled}
      aria-invalid={error ? true : undefined}
      aria-describedby={error ? `${id}-error` : undefined}
    >
      <legend>Receivers</legend>
      <ErrorNote error={teams.error} />
      {names.length === 0 && !teams.loading && <p className="muted">No team exists yet.</p>}
      {names.map((name) => (
        <label key={name} className="check">
          <input
            type="checkbox"
            checked={props.value.includes(name)}
            onChange={(e) => toggle(name, e.target.checked)}
          />
          {name}
        </label>
      ))}
      {error && (
        <span id={`${id}-error`} className="field-error">
          {error}
        </span>
      )}
    </fieldset>
  )
}
