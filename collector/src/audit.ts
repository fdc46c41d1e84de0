import { AUDIT_STREAM, AUDIT_SUBJECT, AuditRecord, ensureAuditStream, tsvEscape } from '@peregrine/common'
import type { StreamTable } from './stream-table.ts'

export const AUDIT_CONSUMER = 'collector-audit'
/**
 * Column order of the rows written. @clickhouse/client trims the statement (data included) and
 * drops trailing semicolons, so the body must neither start nor end with a field that can be
 * empty or end in whitespace or ';': `at` opens each row and `action` (one of four words) closes it.
 */
export const AUDIT_COLUMNS = [
  'at',
  'actor',
  'actor_id',
  'kind',
  'id',
  'before',
  'after',
  'action',
  'paths',
] as const

/** DateTime64(3) ends with 2299; a later time would make the whole insert fail on every retry. */
const MAX_AT = Date.UTC(2299, 11, 31)

/** The audit stream, persisted into the `audit` table. */
export const auditTable: StreamTable = {
  what: 'audit',
  stream: AUDIT_STREAM,
  subject: AUDIT_SUBJECT,
  consumer: AUDIT_CONSUMER,
  ensureStream: ensureAuditStream,
  row(m) {
    try {
      const parsed = AuditRecord.safeParse(JSON.parse(m.string()))
      if (parsed.success && parsed.data.at <= MAX_AT) return { row: toTsv(parsed.data) }
      return { error: parsed.success ? 'at is out of range' : parsed.error.issues }
    } catch (err) {
      return { error: (err as Error).message }
    }
  },
  insert: (store, rows) => store.insertTsv('audit', AUDIT_COLUMNS, rows.join('')),
}

/** One TabSeparated row; `at` as unix seconds with milliseconds, which reads the same in any time zone. */
function toTsv(r: AuditRecord): string {
  const at = `${Math.floor(r.at / 1000)}.${String(r.at % 1000).padStart(3, '0')}`
  const fields = [at, r.actor, r.actorId, r.kind, r.id, json(r.before), json(r.after), r.action].map(tsvField)
  // Node paths hold only letters, digits, '_', '-' and '.', so quoting is all an array needs.
  return `${fields.join('\t')}\t[${r.paths.map((p) => `'${p}'`).join(',')}]\n`
}

/** JSON text, '' where the object did not exist. */
function json(v: unknown): string {
  return v === null || v === undefined ? '' : JSON.stringify(v)
}

/** tsvEscape, and NUL as `\0` so the statement text never carries one. */
function tsvField(s: string): string {
  return tsvEscape(s).replace(/\0/g, '\\0')
}
