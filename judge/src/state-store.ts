import {
  type EventKey,
  eventKeyText,
  type StoredEventState,
  StoredEventStateSchema,
} from '@peregrine/common/judge'
import type { Logger } from '@peregrine/common/log'
import type { KV, NatsConnection } from 'nats'
import { z } from 'zod'

export const STATE_BUCKET = 'peregrine-judge-state'

/** What a partition's holder leaves for the next: event states and the last message it handled. */
export interface PartitionState {
  /**
   * Stream sequence of the last metrics message whose events are stored (0: before the first
   * message); null when no judge held the partition yet.
   */
  checkpoint: number | null
  /** Event key text → state (only keys with a state: firing, recovering, holding, flapping). */
  states: Map<string, StoredEventState>
}

const StoredPartition = z.strictObject({
  v: z.literal(1),
  checkpoint: z.number().int().nonnegative(),
  states: z.array(StoredEventStateSchema),
})

/**
 * Partition states in a KV bucket, one value per partition, so states and checkpoint are
 * written together. A value that does not validate is reported and replaced, never trusted.
 */
export class PartitionStateStore {
  private constructor(
    private readonly kv: KV,
    private readonly log: Logger,
  ) {}

  static async open(nc: NatsConnection, log: Logger): Promise<PartitionStateStore> {
    return new PartitionStateStore(await nc.jetstream().views.kv(STATE_BUCKET, { history: 1 }), log)
  }

  keyOf(k: EventKey): string {
    return eventKeyText(k)
  }

  async load(partition: number): Promise<PartitionState> {
    const e = await this.kv.get(`partition.${partition}`)
    if (e?.operation !== 'PUT' || e.length === 0) return { checkpoint: null, states: new Map() }
    let parsed: z.infer<typeof StoredPartition>
    try {
      parsed = StoredPartition.parse(e.json())
    } catch (err) {
      this.log.error({ err, partition }, 'judge state of the partition is not valid; starting without it')
      return { checkpoint: null, states: new Map() }
    }
    return { checkpoint: parsed.checkpoint, states: new Map(parsed.states.map((s) => [this.keyOf(s), s])) }
  }

  async save(partition: number, s: PartitionState): Promise<void> {
    const value = { v: 1, checkpoint: s.checkpoint ?? 0, states: [...s.states.values()] }
    await this.kv.put(`partition.${partition}`, JSON.stringify(value))
  }
}
