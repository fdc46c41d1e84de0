import { type BoundQuery, type EventEntry, param, type Store, sql } from '@peregrine/common'

export interface EventFilter {
  node?: string
  host?: string
  strategy?: string
  priority?: number
  kind?: string
  status?: string
  /** Unix seconds, inclusive. */
  from?: number
  /** Unix seconds, inclusive. */
  to?: number
  limit: number
  /** Only events of hosts bound at or below this path ('' = every event). */
  scope: string
}

interface EventRow {
  timestamp: number
  id: string
  key: string
  status: EventEntry['status']
  kind: EventEntry['kind']
  step: number
  value: number | null
  flapping: number
  endpoint: string
  metric: string
  tags: string
  strategy_id: string
  strategy_name: string
  node: string
  priority: number
  condition: string
  operator: EventEntry['strategy']['operator']
  threshold: number
  note: string
  receivers: string[]
  callback_url: string
  paths: string[]
  /** Unix milliseconds; Int64, so quoted by the store. */
  ms: string
}

const COLUMNS = sql`toUnixTimestamp(timestamp) AS timestamp, id, key, status, kind, step, value, flapping,
  endpoint, metric, tags, strategy_id, strategy_name, node, priority, condition, operator, threshold,
  note, receivers, callback_url, paths, toUnixTimestamp64Milli(judged_at) AS ms`

/** The events matching every filter, newest first. FINAL folds an event published twice. */
export async function queryEvents(store: Store, f: EventFilter): Promise<EventEntry[]> {
  const where = filters(f)
  if (f.status !== undefined) where.push(sql`status = ${param.string(f.status)}`)
  if (f.from !== undefined) where.push(sql`timestamp >= toDateTime(${param.uint32(f.from)})`)
  if (f.to !== undefined) where.push(sql`timestamp <= toDateTime(${param.uint32(f.to)})`)
  const rows = await store.query<EventRow>(
    sql`SELECT ${COLUMNS} FROM events FINAL WHERE ${and(where)}
        ORDER BY timestamp DESC, ms DESC, id LIMIT ${param.uint32(f.limit)}`,
  )
  return rows.map(toEntry)
}

/** What is in PROBLEM now: the keys whose last event is a PROBLEM, most urgent and newest first. */
export async function queryFiring(store: Store, f: EventFilter): Promise<EventEntry[]> {
  const where = filters(f)
  where.push(sql`status = 'PROBLEM'`)
  const rows = await store.query<EventRow>(
    sql`SELECT ${COLUMNS} FROM events_latest FINAL WHERE ${and(where)}
        ORDER BY priority, timestamp DESC, id LIMIT ${param.uint32(f.limit)}`,
  )
  return rows.map(toEntry)
}

function filters(f: EventFilter): BoundQuery[] {
  const where: BoundQuery[] = []
  if (f.host !== undefined) where.push(sql`endpoint = ${param.string(f.host)}`)
  if (f.strategy !== undefined) where.push(sql`strategy_id = ${param.string(f.strategy)}`)
  if (f.priority !== undefined) where.push(sql`priority = ${param.uint32(f.priority)}`)
  if (f.kind !== undefined) where.push(sql`kind = ${param.string(f.kind)}`)
  for (const path of [f.scope, f.node ?? '']) if (path !== '') where.push(pathsWithin(path))
  return where
}

/** Rows whose `paths` column holds `path` or a path below it. */
export const pathsWithin = (path: string) =>
  sql`arrayExists(p -> p = ${param.string(path)} OR startsWith(p, ${param.string(`${path}.`)}), paths)`

export const and = (where: BoundQuery[]) => where.reduce((all, w) => sql`${all} AND ${w}`, sql`1`)

function toEntry(r: EventRow): EventEntry {
  return {
    id: r.id,
    key: r.key,
    status: r.status,
    kind: r.kind,
    step: r.step,
    timestamp: r.timestamp,
    value: r.value,
    flapping: r.flapping === 1,
    endpoint: r.endpoint,
    metric: r.metric,
    tags: r.tags,
    strategy: {
      id: r.strategy_id,
      name: r.strategy_name,
      node: r.node === '' ? null : r.node,
      priority: r.priority,
      condition: r.condition,
      operator: r.operator,
      threshold: r.threshold,
      note: r.note,
      receivers: r.receivers,
      callbackUrl: r.callback_url === '' ? null : r.callback_url,
    },
    paths: r.paths,
    judgedAt: Number(r.ms) / 1000,
  }
}
