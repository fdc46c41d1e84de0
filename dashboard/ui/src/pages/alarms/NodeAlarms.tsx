import { useNodePath } from '../node/NodePage.tsx'
import { EventHistory } from './EventHistory.tsx'
import { FilterForm } from './FilterForm.tsx'
import { FiringAlarms } from './FiringAlarms.tsx'
import { HISTORY_KEYS, historyFields } from './filter-fields.ts'
import { given, useUrlFilters } from './url-filters.ts'
import { useSuggestions } from './use-suggestions.ts'
import './alarms.css'

/** A node's tab: what fires at and below it, and its recent events (filters but the node in the URL). */
export default function NodeAlarms() {
  const path = useNodePath()
  const [filters, setFilters] = useUrlFilters(HISTORY_KEYS)
  const suggestions = useSuggestions()
  return (
    <div className="stack">
      <h2>Firing now</h2>
      <FiringAlarms node={path} level={3} />
      <h2>History</h2>
      <FilterForm
        label="Filter events"
        fields={historyFields(suggestions, true)}
        values={filters}
        onApply={setFilters}
      />
      <EventHistory query={{ ...given(filters), node: path }} />
    </div>
  )
}
