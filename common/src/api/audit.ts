import { z } from 'zod'
import { AuditRecord } from '../model/audit.ts'

/** Query-string schema and response shape of the audit API (GET /api/v1/audit). */

const unixSeconds = z.coerce.number().int().nonnegative().max(4_294_967_295)

export const AuditQuery = z
  .strictObject({
    kind: z.string().min(1).max(64).optional().describe('Kind of object: tree, host, strategy, …'),
    id: z.string().min(1).max(1024).optional().describe('Id of the object (tree path, host name, …)'),
    actor: z.string().min(1).max(256).optional().describe('Name of the token that made the change'),
    from: unixSeconds.optional().describe('Oldest change, unix seconds (inclusive)'),
    to: unixSeconds.optional().describe('Newest change, unix seconds (inclusive, to the second)'),
    limit: z.coerce.number().int().positive().max(1000).default(100),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  })
export type AuditQuery = z.infer<typeof AuditQuery>

/** One change as the API answers it: times in unix seconds like the rest of the API. */
export const AuditEntry = AuditRecord.extend({
  at: z.number().nonnegative().describe('Unix seconds, with milliseconds as the fraction'),
  actor: z.string().describe('Name of the token that made the change'),
  actorId: z.string().describe("Id of that token ('' if unknown)"),
})
export type AuditEntry = z.infer<typeof AuditEntry>

/** Newest first; before/after as the JSON that was recorded. */
export const AuditResponse = z.object({ records: z.array(AuditEntry) })
export type AuditResponse = z.infer<typeof AuditResponse>
