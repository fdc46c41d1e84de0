import { NavLink, Route, Routes } from 'react-router'
import { EventHistory } from './EventHistory.tsx'
import { FilterForm } from './FilterForm.tsx'
import { FiringAlarms } from './FiringAlarms.tsx'
import { FIRING_KEYS, firingFields, HISTORY_KEYS, historyFields } from './filter-fields.ts'
import { given, useUrlFilters } from './url-filters.ts'
import { useSuggestions } from './use-suggestions.ts'
import './alarms.css'

/** Alarms: what fires now (the landing page) and the history of events, filters in the URL. */
export default function AlarmsPage() {
  return (
    <section>
      <h1>Alarms</h1>
      <nav className="tabs" aria-label="Alarms">
        <NavLink to="/alarms" end>
          Firing now
        </NavLink>
        <NavLink to="/alarms/history">History</NavLink>
      </nav>
      <Routes>
        <Route index element={<FiringNow />} />
        <Route path="history" element={<History />} />
        <Route path="*" element={<p>No such page.</p>} />
      </Routes>
    </section>
  )
}

function FiringNow() {
  const [filters, setFilters] = useUrlFilters(FIRING_KEYS)
  const suggestions = useSuggestions()
  return (
    <div className="stack">
      <FilterForm
        label="Filter firing alarms"
        fields={firingFields(suggestions, false)}
        values={filters}
        onApply={setFilters}
      />
      <FiringAlarms {...given(filters)} />
    </div>
  )
}

function History() {
  const [filters, setFilters] = useUrlFilters(HISTORY_KEYS)
  const suggestions = useSuggestions()
  return (
    <div className="stack">
      <FilterForm
        label="Filter events"
        fields={historyFields(suggestions, false)}
        values={filters}
        onApply={setFilters}
      />
      <EventHistory query={given(filters)} />
    </div>
  )
}
