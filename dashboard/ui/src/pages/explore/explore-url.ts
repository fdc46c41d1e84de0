import type { MetricQuery } from '../../chart/history.ts'
import type { RangeSpec } from '../../time/range.ts'

/**
 * The explorer's state as it lives in the URL, so that a copied link opens the same view:
 * `q` once per query, `step` when fixed (with `from`, `to` and `refresh` of useRange beside).
 *
 * A query is `endpoint|metric|tags`: a trailing `*` on the endpoint makes it a prefix, and tags
 * `-` means "only untagged series" (canonical tags are `k=v` pairs, never `-`). In each part
 * `%`, `|` and `*` are percent-escaped, so any name goes through.
 */
export interface ExploreState {
  queries: MetricQuery[]
  step?: number
}

const UNTAGGED = '-'
/** The API's limit on a step: 31 days. */
const MAX_STEP = 86_400 * 31

const escapePart = (text: string) =>
  text.replace(/[%|*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

export function encodeQuery(q: MetricQuery): string {
  const endpoint = `${escapePart(q.endpoint)}${q.prefix ? '*' : ''}`
  const tags = q.untagged ? UNTAGGED : escapePart(q.tags)
  return [endpoint, escapePart(q.metric), tags].join('|')
}

/** The query a `q` value stands for, or null when it is not one (a hand-edited link). */
export function decodeQuery(text: string): MetricQuery | null {
  const parts = text.split('|')
  if (parts.length !== 3) return null
  const [rawEndpoint, rawMetric, rawTags] = parts as [string, string, string]
  const prefix = rawEndpoint.endsWith('*')
  try {
    const endpoint = decodeURIComponent(prefix ? rawEndpoint.slice(0, -1) : rawEndpoint)
    const metric = decodeURIComponent(rawMetric)
    if (metric === '' || (endpoint === '' && !prefix)) return null
    const q: MetricQuery = { endpoint, metric, tags: '' }
    if (prefix) q.prefix = true
    if (rawTags === UNTAGGED) q.untagged = true
    else q.tags = decodeURIComponent(rawTags)
    return q
  } catch {
    return null
  }
}

function parseStep(text: string | null): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined
  const step = Number(text)
  return step >= 1 && step <= MAX_STEP ? step : undefined
}

export function readExplore(params: URLSearchParams): ExploreState {
  const queries = params.getAll('q').flatMap((text) => decodeQuery(text) ?? [])
  const step = parseStep(params.get('step'))
  return step === undefined ? { queries } : { queries, step }
}

/** `params` with the explorer's state replaced, other parameters (the range) kept. */
export function writeExplore(params: URLSearchParams, state: ExploreState): URLSearchParams {
  const next = new URLSearchParams(params)
  next.delete('q')
  for (const q of state.queries) next.append('q', encodeQuery(q))
  if (state.step === undefined) next.delete('step')
  else next.set('step', String(state.step))
  return next
}

/** A link to the explorer showing `state` over `range`, e.g. from a host's chart. */
export function exploreHref(state: ExploreState, range?: { spec: RangeSpec; refresh: number }): string {
  const params = new URLSearchParams()
  if (range) {
    params.set('from', range.spec.from)
    params.set('to', range.spec.to)
    if (range.refresh) params.set('refresh', String(range.refresh))
  }
  return `/explore?${writeExplore(params, state).toString()}`
}
