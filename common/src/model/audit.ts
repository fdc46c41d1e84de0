import type { JetStreamManager, NatsConnection } from 'nats'
import { z } from 'zod'
import { isNotFound } from '../nats/streams.ts'
import { NodePath } from './tree.ts'

export const AUDIT_STREAM = 'PEREGRINE_AUDIT'
export const AUDIT_SUBJECT = 'peregrine.audit'

/** One change to the configuration: who, what, before, after, when. */
export const AuditRecord = z.object({
  /** Unix milliseconds (on the stream; the API answers seconds). */
  at: z.number().int().nonnegative(),
  /** Name of the token that made the change; `operator` for the command line on a NATS machine. */
  actor: z.string().max(256),
  /** Id of that token (names may repeat); '' from publishers older than this field. */
  actorId: z.string().max(256).default(''),
  action: z.enum(['create', 'update', 'delete', 'move']),
  /** What kind of object: tree, host, strategy, user, team, subscription, token. */
  kind: z.string().max(64),
  /** Its id (tree path, host name, strategy id, …). */
  id: z.string().max(1024),
  /** JSON of the object before and after; null where it did not exist. Token secrets never appear. */
  before: z.unknown().nullable(),
  after: z.unknown().nullable(),
  /**
   * The tree paths the change concerns ('' for the whole tree), so a token scoped to a subtree
   * reads the changes made there. Records of users and teams concern no path.
   */
  paths: z
    .array(z.union([z.literal(''), NodePath]))
    .max(200)
    .default([]),
})
export type AuditRecord = z.infer<typeof AuditRecord>

/**
 * Creates the audit stream if it is missing; an existing one is left as it is. Shared by the
 * publisher and the collector, whichever starts first.
 */
export async function ensureAuditStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(AUDIT_STREAM)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.streams.add({ name: AUDIT_STREAM, subjects: [AUDIT_SUBJECT], max_age: 7 * 86_400 * 1e9 })
  }
}

/** Publishes audit records to their stream (created if missing); the collector persists them. */
export class AuditLog {
  private constructor(private readonly nc: NatsConnection) {}

  static async open(nc: NatsConnection): Promise<AuditLog> {
    await ensureAuditStream(await nc.jetstreamManager())
    return new AuditLog(nc)
  }

  async record(r: Omit<z.input<typeof AuditRecord>, 'at'>): Promise<void> {
    const record = AuditRecord.parse({ ...r, at: Date.now() })
    await this.nc.jetstream().publish(AUDIT_SUBJECT, Buffer.from(JSON.stringify(record)))
  }
}
