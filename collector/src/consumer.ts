import {
  COLLECTOR_CONSUMER,
  defaultMetricsStream,
  ensureMetricsStream,
  isNotFound,
  METRICS_STREAM,
  METRICS_SUBJECT_PREFIX,
} from '@peregrine/common'
import { AckPolicy, type Consumer, DeliverPolicy, type NatsConnection, nanos } from 'nats'

/**
 * The durable consumer every collector instance shares; created or updated idempotently.
 * `ackWaitMs` must cover a full batch wait plus a slow insert; retries extend it with working().
 */
export async function metricsConsumer(
  nc: NatsConnection,
  o: { maxAckPending: number; ackWaitMs: number; streamMaxBytes: number },
): Promise<Consumer> {
  const jsm = await nc.jetstreamManager()
  await ensureMetricsStream(jsm, { ...defaultMetricsStream, maxBytes: o.streamMaxBytes })
  const config = {
    durable_name: COLLECTOR_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(o.ackWaitMs),
    max_ack_pending: o.maxAckPending,
    filter_subject: `${METRICS_SUBJECT_PREFIX}.>`,
  }
  try {
    await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)
    await jsm.consumers.update(METRICS_STREAM, COLLECTOR_CONSUMER, {
      ack_wait: config.ack_wait,
      max_ack_pending: config.max_ack_pending,
    })
  } catch (err) {
    if (!isNotFound(err)) throw err
    await jsm.consumers.add(METRICS_STREAM, config)
  }
  return nc.jetstream().consumers.get(METRICS_STREAM, COLLECTOR_CONSUMER)
}
