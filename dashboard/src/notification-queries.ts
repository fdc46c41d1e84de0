import {
  type BoundQuery,
  type NotificationEntry,
  type NotificationsQuery,
  param,
  type Store,
  sql,
} from '@peregrine/common'
import { and, pathsWithin } from './event-queries.ts'

export type NotificationFilter = NotificationsQuery & {
  /** Only records about hosts bound at or below this path ('' = every record). */
  scope: string
}

type NotificationRow = Omit<NotificationEntry, 'at'> & {
  /** Unix milliseconds; Int64, so quoted by the store. Not aliased `at`: WHERE would read the alias. */
  ms: string
}

/** The records matching every filter, newest first. FINAL folds a record published twice. */
export async function queryNotifications(store: Store, f: NotificationFilter): Promise<NotificationEntry[]> {
  const rows = await store.query<NotificationRow>(
    sql`SELECT toUnixTimestamp64Milli(at) AS ms, id, notification, events, keys, count, channel, receiver,
          address, priority, status, outcome, attempt, error, paths, endpoints, metric
        FROM notifications FINAL WHERE ${and(filters(f))}
        ORDER BY at DESC, id LIMIT ${param.uint32(f.limit)}`,
  )
  return rows.map(({ ms, ...r }) => ({ ...r, at: Number(ms) / 1000 }))
}

function filters(f: NotificationFilter): BoundQuery[] {
  const where: BoundQuery[] = []
  if (f.key !== undefined) where.push(sql`has(keys, ${param.string(f.key)})`)
  if (f.event !== undefined) where.push(sql`has(events, ${param.string(f.event)})`)
  if (f.host !== undefined) where.push(sql`has(endpoints, ${param.string(f.host)})`)
  if (f.receiver !== undefined) where.push(sql`receiver = ${param.string(f.receiver)}`)
  if (f.channel !== undefined) where.push(sql`channel = ${param.string(f.channel)}`)
  if (f.outcome !== undefined) where.push(sql`outcome = ${param.string(f.outcome)}`)
  if (f.from !== undefined) where.push(sql`at >= toDateTime64(${param.uint32(f.from)}, 3)`)
  if (f.to !== undefined) where.push(sql`at < toDateTime64(${param.uint32(f.to)}, 3) + INTERVAL 1 SECOND`)
  for (const path of [f.scope, f.node ?? '']) if (path !== '') where.push(pathsWithin(path))
  return where
}
