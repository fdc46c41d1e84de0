import { type AuditEntry, type BoundQuery, param, type Store, sql } from '@peregrine/common'

export interface AuditFilter {
  kind?: string
  id?: string
  actor?: string
  /** Unix seconds, inclusive. */
  from?: number
  /** Unix seconds, inclusive to the second. */
  to?: number
  limit: number
  /** Only records concerning a path at or below this one ('' = every record). */
  scope: string
}

interface AuditRow {
  /** Unix milliseconds; Int64, so quoted by the store. Not aliased `at`: WHERE would read the alias. */
  ms: string
  actor: string
  actor_id: string
  action: AuditEntry['action']
  kind: string
  id: string
  before: string
  after: string
  paths: string[]
}

/**
 * Audit records matching every given filter, newest first, with before/after parsed back to JSON
 * (null where the object did not exist). DISTINCT folds the exact duplicate a re-delivered record
 * can leave behind.
 */
export async function queryAudit(store: Store, f: AuditFilter): Promise<AuditEntry[]> {
  const where: BoundQuery[] = []
  if (f.kind !== undefined) where.push(sql`kind = ${param.string(f.kind)}`)
  if (f.id !== undefined) where.push(sql`id = ${param.string(f.id)}`)
  // The name of rows from before actor_id is actor without its trailing ` (id)`, as actorOf reads it.
  if (f.actor !== undefined)
    where.push(
      sql`if(actor_id = '', replaceRegexpOne(actor, ' [(][^()]*[)]$', ''), actor) = ${param.string(f.actor)}`,
    )
  if (f.from !== undefined) where.push(sql`at >= toDateTime64(${param.uint32(f.from)}, 3)`)
  if (f.to !== undefined) where.push(sql`at < toDateTime64(${param.uint32(f.to)}, 3) + INTERVAL 1 SECOND`)
  if (f.scope !== '')
    where.push(
      sql`arrayExists(p -> p = ${param.string(f.scope)} OR startsWith(p, ${param.string(`${f.scope}.`)}), paths)`,
    )
  const condition = where.reduce((all, w) => sql`${all} AND ${w}`, sql`1`)
  const rows = await store.query<AuditRow>(
    sql`SELECT DISTINCT toUnixTimestamp64Milli(at) AS ms, actor, actor_id, action, kind, id, before, after, paths
        FROM audit WHERE ${condition}
        ORDER BY ms DESC, kind, id LIMIT ${param.uint32(f.limit)}`,
  )
  return rows.map((r) => ({
    at: Number(r.ms) / 1000,
    ...actorOf(r),
    action: r.action,
    kind: r.kind,
    id: r.id,
    before: parseJson(r.before),
    after: parseJson(r.after),
    paths: r.paths,
  }))
}

/** Rows from before actor_id hold `name (id)` in actor; the query's actor filter splits them alike. */
function actorOf(r: AuditRow): { actor: string; actorId: string } {
  if (r.actor_id !== '') return { actor: r.actor, actorId: r.actor_id }
  const old = /^(.*) \(([^()]*)\)$/.exec(r.actor)
  return old ? { actor: old[1]!, actorId: old[2]! } : { actor: r.actor, actorId: '' }
}

function parseJson(text: string): unknown {
  return text === '' ? null : JSON.parse(text)
}
