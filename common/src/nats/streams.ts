import {
  DiscardPolicy,
  type JetStreamClient,
  type JetStreamManager,
  nanos,
  type PubAck,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from 'nats'
import { MAX_RECORD_ERROR, NotificationRecord } from '../model/notification.ts'
import {
  EVENTS_STREAM,
  EVENTS_SUBJECT_PREFIX,
  METRICS_STREAM,
  METRICS_SUBJECT_PREFIX,
  NOTIFICATIONS_STREAM,
  NOTIFICATIONS_SUBJECT_PREFIX,
  notificationsSubject,
} from './names.ts'
import { openSeriesBucket } from './series-bucket.ts'

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

/**
 * Creates the metrics stream, or brings an existing one to these limits, and the bucket of the
 * senders' series dictionaries its v2 batches refer to. Idempotent.
 */
export async function ensureMetricsStream(jsm: JetStreamManager, o = defaultMetricsStream): Promise<void> {
  await openSeriesBucket(jsm.jetstream())
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
  await ensureStream(jsm, recordStream(EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, 64 * 1024))
}

/**
 * Creates the stream of notification attempts, or brings an existing one to these limits.
 * Idempotent. Records wait here for the collector; one published again under the same id (an
 * alarm that restarted before its publish was acknowledged) within the duplicate window is stored once.
 */
export async function ensureNotificationsStream(jsm: JetStreamManager): Promise<void> {
  // A record may list a thousand events, keys, endpoints and paths (MAX_RECORD_EVENTS).
  await ensureStream(jsm, recordStream(NOTIFICATIONS_STREAM, NOTIFICATIONS_SUBJECT_PREFIX, 1024 * 1024))
}

/** Publishes one notification record, validated, with its id as the message id. */
export async function publishNotification(js: JetStreamClient, record: NotificationRecord): Promise<PubAck> {
  const valid = NotificationRecord.parse({ ...record, error: record.error.slice(0, MAX_RECORD_ERROR) })
  return js.publish(notificationsSubject(valid.channel), JSON.stringify(valid), { msgID: valid.id })
}

/** A stream of low-volume records the collector persists: a week, a million, an hour's duplicates. */
function recordStream(name: string, prefix: string, maxMsgSize: number): StreamSettings {
  return {
    name,
    subjects: [`${prefix}.>`],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * 86_400_000),
    // A count, not bytes: a byte limit is reserved from JetStream's store up front, which the
    // all-in-one sizes to its volume for the metrics stream.
    max_msgs: 1_000_000,
    duplicate_window: nanos(3600_000),
    max_msg_size: maxMsgSize,
  }
}

type StreamSettings = Partial<StreamConfig> & { name: string }

async function ensureStream(jsm: JetStreamManager, config: StreamSettings): Promise<void> {
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
