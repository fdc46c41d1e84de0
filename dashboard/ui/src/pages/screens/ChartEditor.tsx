import { SCREEN_LIMITS } from '@peregrine/common/model/screen-limits'
import {
  addQuery,
  type ChartDraft,
  type Draft,
  editChart,
  editQuery,
  moveChart,
  removeChart,
  removeQuery,
} from './draft.ts'
import { SuggestInput } from './SuggestInput.tsx'
import { suggestEndpoints, suggestMetrics } from './suggestions.ts'

export interface ChartEditorProps {
  chart: ChartDraft
  index: number
  count: number
  /** Applies a change to the whole draft (the operations of draft.ts). */
  edit(change: (d: Draft) => Draft): void
  /** The body field the server refused, to mark the input that holds it. */
  invalid: string | undefined
}

/** One chart of the grid: its title, unit, height and queries, and its place among the others. */
export function ChartEditor({ chart, index: i, count, edit, invalid }: ChartEditorProps) {
  const n = i + 1
  const at = `charts.${i}`
  const mark = (field: string) => ({ 'data-field': field, 'aria-invalid': invalid === field || undefined })
  return (
    <fieldset className="chart-editor">
      <legend>
        Chart {n}
        {chart.title ? `: ${chart.title}` : ''}
      </legend>
      <div className="row">
        <label className="grow">
          Title
          <input
            value={chart.title}
            maxLength={SCREEN_LIMITS.title}
            onChange={(e) => edit((d) => editChart(d, i, { title: e.target.value }))}
            {...mark(`${at}.title`)}
          />
        </label>
        <label>
          Unit
          <input
            value={chart.unit}
            size={6}
            maxLength={SCREEN_LIMITS.unit}
            placeholder="%"
            onChange={(e) => edit((d) => editChart(d, i, { unit: e.target.value }))}
            {...mark(`${at}.unit`)}
          />
        </label>
        <label>
          Height (px)
          <input
            type="number"
            value={chart.height}
            min={SCREEN_LIMITS.minHeight}
            max={SCREEN_LIMITS.maxHeight}
            step={10}
            placeholder="260"
            onChange={(e) => edit((d) => editChart(d, i, { height: e.target.value }))}
            {...mark(`${at}.height`)}
          />
        </label>
      </div>
      {chart.queries.map((q, j) => (
        <fieldset key={q.key} className="row query-row">
          <legend className="sr-only">Query {j + 1}</legend>
          <SuggestInput
            label="Endpoint"
            value={q.endpoint}
            placeholder="web-1 or web-*"
            maxLength={255}
            suggest={suggestEndpoints}
            onChange={(endpoint) => edit((d) => editQuery(d, i, j, { endpoint }))}
            field={`${at}.queries.${j}.endpoint`}
            invalid={invalid === `${at}.queries.${j}.endpoint`}
          />
          <SuggestInput
            label="Metric"
            value={q.metric}
            placeholder="cpu.busy"
            maxLength={510}
            suggest={suggestMetrics(q.endpoint)}
            context={q.endpoint}
            onChange={(metric) => edit((d) => editQuery(d, i, j, { metric }))}
            field={`${at}.queries.${j}.metric`}
            invalid={invalid === `${at}.queries.${j}.metric`}
          />
          <label>
            Tags
            <input
              value={q.tags}
              maxLength={510}
              placeholder="mount=/"
              onChange={(e) => edit((d) => editQuery(d, i, j, { tags: e.target.value }))}
              {...mark(`${at}.queries.${j}.tags`)}
            />
          </label>
          <button
            type="button"
            aria-label={`Remove query ${j + 1} of chart ${n}`}
            disabled={chart.queries.length === 1}
            onClick={() => edit((d) => removeQuery(d, i, j))}
          >
            Remove query
          </button>
        </fieldset>
      ))}
      <div className="row">
        <button
          type="button"
          aria-label={`Add a query to chart ${n}`}
          disabled={chart.queries.length >= SCREEN_LIMITS.queries}
          onClick={() => edit((d) => addQuery(d, i))}
        >
          Add query
        </button>
        <span className="spacer" />
        <button
          type="button"
          aria-label={`Move chart ${n} earlier`}
          disabled={i === 0}
          onClick={() => edit((d) => moveChart(d, i, -1))}
        >
          ↑ Earlier
        </button>
        <button
          type="button"
          aria-label={`Move chart ${n} later`}
          disabled={i === count - 1}
          onClick={() => edit((d) => moveChart(d, i, 1))}
        >
          ↓ Later
        </button>
        <button
          type="button"
          className="danger"
          aria-label={`Remove chart ${n}`}
          onClick={() => edit((d) => removeChart(d, i))}
        >
          Remove chart
        </button>
      </div>
    </fieldset>
  )
}
