import { type AuditRecord, type BoundQuery, param, type Store, sql } from '@peregrine/common'

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
  action: AuditRecord['action']
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
export async function queryAudit(store: Store, f: AuditFilter): Promise<AuditRecord[]> {
  const where: BoundQuery[] = []
  if (f.kind !== undefined) where.push(sql`kind = ${param.string(f.kind)}`)
  if (f.id !== undefined) where.push(sql`id = ${param.string(f.id)}`)
  if (f.actor !== undefined) where.push(sql`actor = ${param.string(f.actor)}`)
  if (f.from !== undefined) where.push(sql`at >= toDateTime64(${param.uint32(f.from)}, 3)`)
  if (f.to !== undefined) where.push(sql`at < toDateTime64(${param.uint32(f.to)}, 3) + INTERVAL 1 SECOND`)
  if (f.scope !== '')
    where.push(
      sql`arrayExists(p -> p = ${param.string(f.scope)} OR startsWith(p, ${param.string(`${f.scope}.`)}), paths)`,
    )
  const condition = where.reduce((all, w) => sql`${all} AND ${w}`, sql`1`)
  const rows = await store.query<AuditRow>(
    sql`SELECT DISTINCT toUnixTimestamp64Milli(at) AS ms, actor, action, kind, id, before, after, paths
        FROM audit WHERE ${condition}
        ORDER BY ms DESC, kind, id LIMIT ${param.uint32(f.limit)}`,
  )
  return rows.map((r) => ({
    at: Number(r.ms),
    actor: r.actor,
    action: r.action,
    kind: r.kind,
    id: r.id,
    before: parseJson(r.before),
    after: parseJson(r.after),
    paths: r.paths,
  }))
}

function parseJson(text: string): unknown {
  return text === '' ? null : JSON.parse(text)
}
