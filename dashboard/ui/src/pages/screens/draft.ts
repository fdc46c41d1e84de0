import type { ScreenBody, ScreenView } from './types.ts'

/**
 * A screen being edited: every field as the inputs hold it (text), and a key per chart and query
 * that stays with it when charts are reordered. Pure functions, each returning a new draft.
 */
export interface QueryDraft {
  key: number
  endpoint: string
  metric: string
  tags: string
}
export interface ChartDraft {
  key: number
  title: string
  unit: string
  /** Pixels as typed; empty: the page's default. */
  height: string
  queries: QueryDraft[]
}
export interface Draft {
  node: string
  name: string
  charts: ChartDraft[]
}

let lastKey = 0
const nextKey = () => ++lastKey

export const emptyQuery = (): QueryDraft => ({ key: nextKey(), endpoint: '', metric: '', tags: '' })

/** The draft of a stored screen, or of a new one on `node`. */
export function draftOf(screen: ScreenView | undefined, node: string): Draft {
  if (!screen) return { node, name: '', charts: [] }
  return {
    node: screen.node ?? node,
    name: screen.name,
    charts: screen.charts.map((c) => ({
      key: nextKey(),
      title: c.title,
      unit: c.unit ?? '',
      height: c.height === undefined ? '' : String(c.height),
      queries: c.queries.map((q) => ({
        key: nextKey(),
        endpoint: q.endpoint,
        metric: q.metric,
        tags: q.tags,
      })),
    })),
  }
}

/** The body to send: empty unit and height left out (the server checks everything else). */
export function bodyOf(d: Draft): ScreenBody {
  return {
    node: d.node,
    name: d.name,
    charts: d.charts.map((c) => ({
      title: c.title,
      ...(c.unit.trim() ? { unit: c.unit } : {}),
      ...(c.height.trim() ? { height: Number(c.height) } : {}),
      queries: c.queries.map((q) => ({ endpoint: q.endpoint, metric: q.metric, tags: q.tags })),
    })),
  }
}

const replaceAt = <T>(list: readonly T[], i: number, item: T) => list.map((x, j) => (j === i ? item : x))

export const rename = (d: Draft, name: string): Draft => ({ ...d, name })

/** A chart with one empty query to fill in, at the end of the grid. */
export const addChart = (d: Draft): Draft => ({
  ...d,
  charts: [
    ...d.charts,
    { key: nextKey(), title: `Chart ${d.charts.length + 1}`, unit: '', height: '', queries: [emptyQuery()] },
  ],
})

export const removeChart = (d: Draft, i: number): Draft => ({
  ...d,
  charts: d.charts.filter((_, j) => j !== i),
})

/** Moves chart `i` by `delta` places (−1: earlier in the grid); beyond either end, nothing moves. */
export function moveChart(d: Draft, i: number, delta: number): Draft {
  const to = i + delta
  if (to < 0 || to >= d.charts.length) return d
  const charts = [...d.charts]
  const [chart] = charts.splice(i, 1)
  charts.splice(to, 0, chart!)
  return { ...d, charts }
}

export const editChart = (
  d: Draft,
  i: number,
  patch: Partial<Omit<ChartDraft, 'key' | 'queries'>>,
): Draft => ({
  ...d,
  charts: replaceAt(d.charts, i, { ...d.charts[i]!, ...patch }),
})

const withQueries = (d: Draft, i: number, queries: QueryDraft[]): Draft => ({
  ...d,
  charts: replaceAt(d.charts, i, { ...d.charts[i]!, queries }),
})

export const addQuery = (d: Draft, i: number): Draft =>
  withQueries(d, i, [...d.charts[i]!.queries, emptyQuery()])

export const removeQuery = (d: Draft, i: number, j: number): Draft =>
  withQueries(
    d,
    i,
    d.charts[i]!.queries.filter((_, k) => k !== j),
  )

export const editQuery = (d: Draft, i: number, j: number, patch: Partial<Omit<QueryDraft, 'key'>>): Draft => {
  const queries = d.charts[i]!.queries
  return withQueries(d, i, replaceAt(queries, j, { ...queries[j]!, ...patch }))
}
