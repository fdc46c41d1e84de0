import { useContext } from 'react'
import { ErrorNote } from '../../ErrorNote.tsx'
import { Checkboxes } from '../../forms/Checkboxes.tsx'
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
  return (
    <Checkboxes
      legend="Receivers"
      id={idOf('receivers')}
      options={names.map((name) => ({ value: name, label: name }))}
      chosen={props.value}
      onChange={props.onChange}
      error={errorOf('receivers')}
      disabled={disabled}
    >
      <ErrorNote error={teams.error} />
      {names.length === 0 && !teams.loading && <p className="muted">No team exists yet.</p>}
    </Checkboxes>
  )
}
