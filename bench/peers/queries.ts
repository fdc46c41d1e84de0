// The three query shapes of bench:peers, each as Peregrine's monitor API and VictoriaMetrics'
// query_range ask it, over the same series and the same buckets, and what each answered.
import { type HostSeries, hostSeries, type Shape } from '../data.ts'
import { promLabels, promName } from './victoria.ts'

/** One repetition of a shape: Peregrine's requests (paths with query) and VictoriaMetrics' one. */
export interface Ask {
  peregrine: string[]
  victoria: string
}

export interface QueryShape {
  name: string
  /** Seconds between the points answered: Peregrine must answer at this interval too. */
  interval: number
  ask(k: number): Ask
}

/** What an answer held, to check both sides answered the same: series with points, points, their sum. */
export interface Summary {
  series: number
  points: number
  sum: number
}

const SERIES_PER_GROUP = 100
/** Hosts in a 100-series group, and metrics of a host that hold its 10 percentage series. */
const GROUP_HOSTS = 10
const GROUP_METRICS = 30

const minute = (t: number) => Math.floor(t / 60) * 60
const regexOf = (values: string[]) => values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')
/** A history request; a list is the parameter repeated. */
const history = (p: Record<string, string | number | string[]>) =>
  `/api/v1/history?${new URLSearchParams(Object.entries(p).flatMap(([k, v]) => [v].flat().map((one): [string, string] => [k, String(one)])))}`
const queryRange = (query: string, start: number, end: number, step: number) =>
  `/api/v1/query_range?${new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) })}`

/**
 * The shapes, over the newest data: the generator writes `cycles` points per series from
 * `shape.start` at its step, so every window ends at the last point and reaches back 1 h, 24 h
 * or 6 h from it (a window longer than the data covers all of it). Only percentages are asked
 * (GAUGE: Peregrine answers counters as rates, which would need `rate()` on the other side).
 * Each repetition asks other series (host and series rotate), so that neither side answers
 * from what the previous question left in a cache.
 *
 * Buckets: Peregrine's 1-minute bucket T holds points T…T+59 (`ts BETWEEN from AND to` on the
 * rollup's minute); VictoriaMetrics' `avg_over_time(x[1m])` at t covers (t−60, t], so it is
 * evaluated at T+59 for the same points.
 */
export function queryShapes(shape: Shape): QueryShape[] {
  const hosts: HostSeries[] = Array.from({ length: shape.hosts }, (_, h) => hostSeries(h, shape))
  // Every host has the same metrics in the same order: only its endpoint differs.
  const kinds = hosts[0]!.kinds
  const percents = kinds.flatMap((k, i) => (k === 'percent' ? [i] : []))
  const periods = Math.floor(shape.metricsPerHost / GROUP_METRICS)
  const blocks = Math.floor(shape.hosts / GROUP_HOSTS)
  if (periods === 0 || blocks === 0)
    throw new Error(
      `the 100-series shape needs ≥ ${GROUP_HOSTS} hosts and ≥ ${GROUP_METRICS} metrics per host`,
    )
  const last = shape.start + (shape.cycles - 1) * shape.step
  const single = (k: number) =>
    hosts[k % shape.hosts]!.defs[percents[Math.floor(k / shape.hosts) % percents.length]!]!
  const selector = (k: number) => {
    const d = single(k)
    return { d, sel: `${promName(d.metric)}{${promLabels(d.endpoint, d.tags)}}` }
  }
  const raw1h = { from: last - 3600, to: last }
  const day = { from: minute(last - 86_400), to: last }
  const six = { from: minute(last - 21_600), to: last }
  return [
    {
      name: '1 series × 1 h raw',
      interval: shape.step,
      ask(k) {
        const { d, sel } = selector(k)
        return {
          peregrine: [
            history({ endpoint: d.endpoint, metric: d.metric, tags: d.tags, ...raw1h, step: shape.step }),
          ],
          victoria: queryRange(sel, raw1h.from, raw1h.to, shape.step),
        }
      },
    },
    {
      name: '1 series × 24 h at 1 min',
      interval: 60,
      ask(k) {
        const { d, sel } = selector(k)
        return {
          peregrine: [history({ endpoint: d.endpoint, metric: d.metric, tags: d.tags, ...day, step: 60 })],
          victoria: queryRange(`avg_over_time(${sel}[1m])`, day.from + 59, minute(last) + 59, 60),
        }
      },
    },
    {
      // 10 hosts × the 10 percentages among 30 metrics of each: one request naming the 10
      // endpoints and the metrics, as VictoriaMetrics takes one selector. No step for Peregrine:
      // what it picks for 6 h (1 min).
      name: '100 series × 6 h',
      interval: 60,
      ask(k) {
        const p = k % periods
        const b = Math.floor(k / periods) % blocks
        const group = hosts.slice(b * GROUP_HOSTS, (b + 1) * GROUP_HOSTS)
        const mine = percents.filter((i) => Math.floor(i / GROUP_METRICS) === p)
        const metrics = [...new Set(mine.map((i) => group[0]!.defs[i]!.metric))]
        const endpoints = group.map((h) => h.defs[0]!.endpoint)
        if (mine.length * group.length !== SERIES_PER_GROUP) throw new Error('the data set changed shape')
        const sel = `{__name__=~"${regexOf(metrics.map(promName))}",endpoint=~"${regexOf(endpoints)}"}`
        return {
          peregrine: [history({ endpoint: endpoints, metric: metrics, ...six })],
          victoria: queryRange(`avg_over_time(${sel}[1m])`, six.from + 59, minute(last) + 59, 60),
        }
      },
    },
  ]
}

interface HistoryAnswer {
  series: { interval: number; timestamps: number[]; values: (number | null)[] }[]
}

/** Peregrine's answers to one repetition; throws when a series came at another interval. */
export function summarisePeregrine(bodies: string[], interval: number): Summary {
  const s: Summary = { series: 0, points: 0, sum: 0 }
  for (const body of bodies)
    for (const series of (JSON.parse(body) as HistoryAnswer).series) {
      if (series.interval !== interval)
        throw new Error(`Peregrine answered at ${series.interval} s, not ${interval} s`)
      if (series.timestamps.length > 0) s.series++
      s.points += series.timestamps.length
      for (const v of series.values) s.sum += v ?? 0
    }
  return s
}

export function summariseVictoria(body: string): Summary {
  const s: Summary = { series: 0, points: 0, sum: 0 }
  const answer = JSON.parse(body) as { data: { result: { values: [number, string][] }[] } }
  for (const series of answer.data.result) {
    if (series.values.length > 0) s.series++
    s.points += series.values.length
    for (const [, v] of series.values) s.sum += Number(v)
  }
  return s
}

/** Same series and points, and sums equal but for the order floating-point additions were made in. */
export const sameAnswer = (a: Summary, b: Summary) =>
  a.series === b.series &&
  a.points === b.points &&
  Math.abs(a.sum - b.sum) <= 1e-9 * Math.max(1, Math.abs(a.sum))
