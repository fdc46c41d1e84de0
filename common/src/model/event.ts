import { z } from 'zod'
import { OPERATORS } from './strategy.ts'
import { NodePath } from './tree.ts'

export const EVENT_STATUSES = ['PROBLEM', 'OK'] as const
/**
 * What an event is about: `value`, a strategy's condition on a series; `nodata`, a strategy's
 * series without points for its `nodata` time; `heartbeat`, a host whose agent stopped reporting.
 */
export const EVENT_KINDS = ['value', 'nodata', 'heartbeat'] as const

const Text = (max: number) => z.string().max(max)

/**
 * A judge's verdict change, as published on the events stream and stored. It carries what the
 * alarm needs to notify without looking anything up (the strategy may change or go meanwhile):
 * who to tell, the callback, the condition as text. `id` is derived from what the event is, so a
 * judge that publishes it again (after a restart, or a takeover) publishes the same id, which the
 * stream and the table fold.
 */
export const AlertEvent = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16,64}$/),
  /** Strategy + series + kind: the events of one key form its history; its last is its state. */
  key: z.string().regex(/^[0-9a-f]{16,64}$/),
  status: z.enum(EVENT_STATUSES),
  kind: z.enum(EVENT_KINDS),
  /** Notification count within the current state, from 1 (Open-Falcon's `step`). */
  step: z.number().int().min(1).max(1_000_000),
  /** Unix seconds of the point that decided it (for nodata and heartbeat: of the judge's check). */
  timestamp: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 32 - 1),
  /** The value compared with the threshold; null for nodata and heartbeat. */
  value: z.number().finite().nullable(),
  /** The series changes state too often: this event says so, and the ones in between were held back. */
  flapping: z.boolean(),
  endpoint: Text(255),
  metric: Text(255),
  tags: Text(510),
  strategy: z.strictObject({
    id: Text(128),
    name: Text(63),
    /** Tree node the strategy is bound to; null for an expression (and for heartbeats). */
    node: z.string().max(128).nullable(),
    priority: z.number().int().min(0).max(6),
    /** The whole condition as ops wrote it, e.g. `all(#3) cpu.idle < 10`. */
    condition: Text(2000),
    operator: z.enum(OPERATORS),
    threshold: z.number().finite(),
    note: Text(2000),
    receivers: z.array(Text(128)).max(50),
    callbackUrl: z.string().max(2048).nullable(),
  }),
  /** Tree paths of the nodes the endpoint is bound to, for reads scoped to a subtree. */
  paths: z.array(NodePath).max(256),
  /** Unix milliseconds when the judge decided it: alert latency is judgedAt − the point's arrival. */
  judgedAt: z
    .number()
    .int()
    .nonnegative()
    .max(Date.UTC(2299, 11, 31)),
})
export type AlertEvent = z.infer<typeof AlertEvent>
