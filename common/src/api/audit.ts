import { z } from 'zod'
import { AuditRecord } from '../model/audit.ts'

/** Query-string schema and response shape of the audit API (GET /api/v1/audit). */

const unixSeconds = z.coerce.number().int().nonnegative().max(4_294_967_295)

export const AuditQuery = z
  .strictObject({
    kind: z.string().min(1).max(64).optional().describe('Kind of object: tree, host, strategy, …'),
    id: z.string().min(1).max(1024).optional().describe('Id of the object (tree path, host name, …)'),
    actor: z.string().min(1).max(256).optional().describe('Who made the change (token name)'),
    from: unixSeconds.optional().describe('Oldest change, unix seconds (inclusive)'),
    to: unixSeconds.optional().describe('Newest change, unix seconds (inclusive, to the second)'),
    limit: z.coerce.number().int().positive().max(1000).default(100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  })
export type AuditQuery = z.infer<typeof AuditQuery>

/** Newest first; `at` in unix milliseconds; before/after as the JSON that was recorded. */
export const AuditResponse = z.object({ records: z.array(AuditRecord) })
export type AuditResponse = z.infer<typeof AuditResponse>
