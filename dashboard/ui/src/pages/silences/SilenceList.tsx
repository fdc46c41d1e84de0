import { useState } from 'react'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import { useApi } from '../../use-api.ts'
import type { SilenceView } from '../alarms/alarm-types.ts'
import { When } from '../alarms/EventParts.tsx'
import { FilterForm } from '../alarms/FilterForm.tsx'
import { useUrlFilters } from '../alarms/url-filters.ts'
import { useSuggestions } from '../alarms/use-suggestions.ts'
import { mayWrite } from './silence-access.ts'
import { describeMatch, describeSchedule } from './silence-describe.ts'

const STATE_KEY = ['state'] as const
const STATES = [
  { value: '', label: 'In force (active and scheduled)' },
  { value: 'active', label: 'Active' },
  { value: 'scheduled', label: 'Scheduled' },
  { value: 'expired', label: 'Expired' },
  { value: 'all', label: 'All' },
]

/** The silences reaching the token's scope; deployers (in scope) create, change and end them. */
export function SilenceList() {
  const { can } = useSession()
  const [filters, setFilters] = useUrlFilters(STATE_KEY)
  const suggestions = useSuggestions()
  const list = useApi(
    (api, signal) =>
      api.get<{ silences: SilenceView[] }>('/api/v1/silences', { state: filters.state }, signal),
    [filters.state],
    30,
  )
  const strategyName = (id: string) => suggestions.strategies.find((s) => s.value === id)?.label
  const now = Date.now() / 1000
  const silences = list.data?.silences
  return (
    <div className="stack">
      <div className="row">
        <FilterForm
          label="Filter silences"
          fields={[{ key: 'state', label: 'State', options: STATES }]}
          values={filters}
          onApply={setFilters}
        />
        {can('deployer') && (
          <Link className="button primary" to="/silences/new">
            New silence
          </Link>
        )}
      </div>
      <ErrorNote error={list.error} />
      {silences && silences.length === 0 && <p>No silence here.</p>}
      {silences && silences.length > 0 && (
        <table aria-label="Silences">
          <thead>
            <tr>
              <th>Silence</th>
              <th>Matches</th>
              <th>When</th>
              <th>State</th>
              <th>Created</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {silences.map((s) => (
              <tr key={s.id} id={s.id}>
                <td>
                  {s.name && <strong>{s.name} </strong>}
                  <span className="muted">{s.id}</span>
                  <div>{s.reason}</div>
                </td>
                <td>
                  <ul className="plain">
                    {describeMatch(s.match, strategyName).map((m) => (
                      <li key={m}>{m}</li>
                    ))}
                  </ul>
                </td>
                <td>{describeSchedule(s.schedule)}</td>
                <td className={s.state === 'active' ? 'ok' : 'muted'}>{s.state}</td>
                <td>
                  {s.createdBy}
                  <div>
                    <When seconds={s.createdAt} now={now} />
                  </div>
                </td>
                <td>
                  {mayWrite(can, s.match, suggestions.bound) && (
                    <SilenceActions silence={s} onEnded={list.reload} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  )
}

/** Change it, or end it now (asked twice: ending deletes it). */
function SilenceActions({ silence, onEnded }: { silence: SilenceView; onEnded: () => void }) {
  const { api } = useSession()
  const [confirming, setConfirming] = useState(false)
  const [error, setError] = useState<unknown>()
  const end = async () => {
    try {
      await api.delete(`/api/v1/silences/${seg(silence.id)}`, { revision: silence.revision })
      setError(undefined)
      onEnded()
    } catch (err) {
      setError(err)
      setConfirming(false)
    }
  }
  const label = silence.name ?? silence.id
  return (
    <div className="alarm-actions">
      <Link className="button" to={`/silences/${seg(silence.id)}/edit`} aria-label={`Edit ${label}`}>
        Edit
      </Link>
      {silence.state !== 'expired' &&
        (confirming ? (
          <>
            <button type="button" className="danger" onClick={end} aria-label={`Yes, end it: ${label}`}>
              Yes, end it
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </>
        ) : (
          <button type="button" onClick={() => setConfirming(true)} aria-label={`End now: ${label}`}>
            End now
          </button>
        ))}
      <ErrorNote error={error} />
    </div>
  )
}
