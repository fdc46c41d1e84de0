import { useCallback, useState } from 'react'
import type { Api } from '../../api.ts'
import type { MetricQuery } from '../../chart/history.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { Field } from '../../forms/Field.tsx'
import { InputWithSuggestions } from '../../forms/InputWithSuggestions.tsx'
import { useSession } from '../../session.tsx'
import type { EndpointInfo, SeriesInfo } from '../../types.ts'
import { useApi } from '../../use-api.ts'
import { tagChoices, tagsText } from './tags.ts'
import { useSuggestions } from './use-suggestions.ts'

/** Series asked for to find metric names and tags; the suggestions narrow as one types. */
const SERIES_LIMIT = 2000

/** The series of an endpoint (exact, or every one with the prefix) whose metric starts with `metric`. */
async function findSeries(
  api: Api,
  endpoint: string,
  prefix: boolean,
  metric: string,
  signal: AbortSignal,
): Promise<SeriesInfo[]> {
  const { series } = await api.get<{ series: SeriesInfo[] }>(
    '/api/v1/series',
    { endpoint, metric, limit: SERIES_LIMIT },
    signal,
  )
  // The API matches endpoints by prefix: web-1 also finds web-10.
  return prefix ? series : series.filter((s) => s.endpoint === endpoint)
}

/** Endpoint, metric and tags of a new query, each suggested from what is stored. */
export function QueryForm({ onAdd }: { onAdd(q: MetricQuery): void }) {
  const { api } = useSession()
  const [endpoint, setEndpoint] = useState('')
  const [prefix, setPrefix] = useState(false)
  const [metric, setMetric] = useState('')
  const [chosen, setChosen] = useState<Record<string, string>>({})
  const [untagged, setUntagged] = useState(false)
  const named = endpoint !== '' || prefix

  const endpoints = useSuggestions(
    endpoint,
    useCallback(
      async (typed: string, signal: AbortSignal) => {
        const res = await api.get<{ endpoints: EndpointInfo[] }>(
          '/api/v1/endpoints',
          { prefix: typed, limit: 20 },
          signal,
        )
        return res.endpoints.map((e) => e.endpoint)
      },
      [api],
    ),
  )
  const metrics = useSuggestions(
    metric,
    useCallback(
      async (typed: string, signal: AbortSignal) => {
        if (!named) return []
        const series = await findSeries(api, endpoint, prefix, typed, signal)
        return [...new Set(series.map((s) => s.metric))]
      },
      [api, endpoint, prefix, named],
    ),
  )
  // The tags of the series of the chosen metric, offered as one choice per tag key.
  const found = useApi(
    async (a, signal) => {
      if (!metric || !named) return null
      const series = await findSeries(a, endpoint, prefix, metric, signal)
      return series.filter((s) => s.metric === metric)
    },
    [endpoint, prefix, metric],
  )
  const choices = tagChoices(found.data?.map((s) => s.tags) ?? [])

  const resetTags = () => {
    setChosen({})
    setUntagged(false)
  }
  const canAdd = metric !== '' && named
  const add = () => {
    const q: MetricQuery = { endpoint, metric, tags: untagged ? '' : tagsText(chosen) }
    if (prefix) q.prefix = true
    if (untagged) q.untagged = true
    onAdd(q)
    setMetric('')
    resetTags()
  }

  return (
    <form
      className="query-form"
      aria-label="New query"
      onSubmit={(e) => {
        e.preventDefault()
        if (canAdd) add()
      }}
    >
      <div className="row">
        <Field label="Endpoint">
          {(field) => (
            <InputWithSuggestions
              {...field}
              value={endpoint}
              placeholder="web-1"
              autoComplete="off"
              suggestions={endpoints}
              onChange={(e) => {
                setEndpoint(e.target.value)
                resetTags()
              }}
            />
          )}
        </Field>
        <label className="check">
          <input type="checkbox" checked={prefix} onChange={(e) => setPrefix(e.target.checked)} />
          as prefix (every endpoint starting with it)
        </label>
        <Field label="Metric">
          {(field) => (
            <InputWithSuggestions
              {...field}
              value={metric}
              placeholder="cpu.busy"
              autoComplete="off"
              suggestions={metrics}
              onChange={(e) => {
                setMetric(e.target.value)
                resetTags()
              }}
            />
          )}
        </Field>
        {choices.keys.map(([key, values]) => (
          <Field key={key} label={`Tag ${key}`}>
            {(field) => (
              <select
                {...field}
                value={chosen[key] ?? ''}
                disabled={untagged}
                onChange={(e) => setChosen({ ...chosen, [key]: e.target.value })}
              >
                <option value="">any</option>
                {values.map((v) => (
                  <option key={v} value={v}>
                    {v}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ))}
        {choices.untagged && choices.keys.length > 0 && (
          <label className="check">
            <input type="checkbox" checked={untagged} onChange={(e) => setUntagged(e.target.checked)} />
            only untagged series
          </label>
        )}
        <button type="submit" className="primary" disabled={!canAdd}>
          Add query
        </button>
      </div>
      {found.data && (
        <p className="muted" aria-live="polite">
          {found.data.length} series of {metric} found
        </p>
      )}
      <ErrorNote error={found.error} />
    </form>
  )
}
