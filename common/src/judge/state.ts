import { z } from 'zod'

/** Identifies an event key: strategy + series, and which condition (value or no data). */
export const EventKeySchema = z.strictObject({
  kind: z.enum(['value', 'nodata']),
  strategy: z.string().min(1).max(128),
  endpoint: z.string().max(255),
  metric: z.string().max(255),
  tags: z.string().max(510),
})
export type EventKey = z.infer<typeof EventKeySchema>

/**
 * The durable state of one event key, as plain JSON: what was last sent (status, step, when), a
 * pending hold, and flapping. What a restarted judge needs so that it neither re-sends a PROBLEM
 * nor loses an OK. Timestamps are unix seconds; null where there is none yet.
 */
export const StoredEventStateSchema = EventKeySchema.extend({
  /** The key's status; null before its first event (a hold pending). */
  status: z.enum(['PROBLEM', 'OK']).nullable(),
  step: z.number().int().min(0).max(1000),
  lastEventTs: z.number().nullable(),
  holdSince: z.number().nullable().default(null),
  flapping: z.boolean().default(false),
  /** Timestamps of the latest status changes, oldest first (flapping detection). */
  changes: z.array(z.number()).max(1000).default([]),
}).strict()
export type StoredEventState = z.infer<typeof StoredEventStateSchema>

/** Every event key's state at once; `v` versions the format. */
export const JudgeSnapshotSchema = z.strictObject({
  v: z.literal(1),
  states: z.array(StoredEventStateSchema),
})
export type JudgeSnapshot = z.infer<typeof JudgeSnapshotSchema>

/** What changed since the last snapshot() or takeChanges(): states to write and keys to delete. */
export interface StateChanges {
  changed: StoredEventState[]
  removed: EventKey[]
}

/** One string per event key, e.g. for a KV key (hash it where the store limits characters). */
export function eventKeyText(k: EventKey): string {
  return `${k.kind}\t${k.strategy}\t${k.endpoint}\t${k.metric}\t${k.tags}`
}
