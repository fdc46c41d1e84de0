import {
  DiscardPolicy,
  type JetStreamManager,
  nanos,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from 'nats'
import { EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, METRICS_STREAM, METRICS_SUBJECT_PREFIX } from './names.ts'

/** The largest batch message the metrics stream takes (nats-server's max_payload is the same). */
export const MAX_MESSAGE_BYTES = 8 * 1024 * 1024

export interface MetricsStreamOptions {
  /** How long unconsumed batches wait for a collector. */
  maxAgeSeconds: number
  maxBytes: number
  /** Window in which a batch re-sent with the same Nats-Msg-Id is dropped by the server. */
  duplicateWindowSeconds: number
}

export const defaultMetricsStream: MetricsStreamOptions = {
  maxAgeSeconds: 24 * 3600,
  maxBytes: 4 * 1024 ** 3,
  duplicateWindowSeconds: 600,
}

/** Creates the metrics stream, or brings an existing one to these limits. Idempotent. */
export async function ensureMetricsStream(jsm: JetStreamManager, o = defaultMetricsStream): Promise<void> {
  await ensureStream(jsm, {
    name: METRICS_STREAM,
    subjects: [`${METRICS_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(o.maxAgeSeconds * 1000),
    max_bytes: o.maxBytes,
    duplicate_window: nanos(o.duplicateWindowSeconds * 1000),
    max_msg_size: MAX_MESSAGE_BYTES,
  })
}

/**
 * Creates the events stream, or brings an existing one to these limits. Idempotent. Events wait
 * here for the collector (history) and the alarm (notifications); an event published again under
 * the same id within the duplicate window is stored once.
 */
export async function ensureEventsStream(jsm: JetStreamManager): Promise<void> {
  await ensureStream(jsm, {
    name: EVENTS_STREAM,
    subjects: [`${EVENTS_SUBJECT_PREFIX}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * 86_400_000),
    // A count, not bytes: a byte limit is reserved from JetStream's store up front, which the
    // all-in-one sizes to its volume for the metrics stream.
    max_msgs: 1_000_000,
    duplicate_window: nanos(3600_000),
    max_msg_size: 64 * 1024,
  })
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.info(config.name)
    await jsm.streams.update(config.name, config)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.streams.add(config)
  }
}

export function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number } }
  return e?.code === '404' || e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014
}
