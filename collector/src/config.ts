import {
  type ConfigOf,
  clickhouseSettings,
  commonSettings,
  loadConfig,
  opsSettings,
  posNum,
  setting,
} from '@peregrine/common'

export const collectorSettings = {
  ...commonSettings,
  ...clickhouseSettings,
  batchMaxPoints: setting(
    'COLLECTOR_BATCH_POINTS',
    posNum(50_000),
    'Points per ClickHouse insert (at most).',
  ),
  batchMaxWaitMs: setting(
    'COLLECTOR_BATCH_WAIT_MS',
    posNum(1000),
    'Longest a point waits before its insert.',
  ),
  pullMessages: setting(
    'COLLECTOR_PULL_MESSAGES',
    posNum(512),
    'Messages requested from JetStream at a time. While storage fails, a collector holds at most the batch being written, the next one and one such pull.',
  ),
  maxAckPending: setting(
    'COLLECTOR_MAX_ACK_PENDING',
    posNum(20_000),
    'Messages a collector group may hold unacknowledged.',
  ),
  ackWaitMs: setting(
    'COLLECTOR_ACK_WAIT_MS',
    posNum(60_000),
    'How long a fetched, unacknowledged message waits before JetStream redelivers it (e.g. after a crash).',
  ),
  stopTimeoutMs: setting(
    'COLLECTOR_STOP_TIMEOUT_MS',
    posNum(10_000),
    'On shutdown, how long to wait for storage to take the batches in hand before leaving them to JetStream for redelivery.',
  ),
  unhealthyAfterMs: setting(
    'COLLECTOR_UNHEALTHY_AFTER_MS',
    posNum(15_000),
    'How long writes may keep failing before /healthz answers 503.',
  ),
  streamMaxBytes: setting(
    'COLLECTOR_STREAM_MAX_BYTES',
    posNum(4 * 1024 ** 3),
    'Largest size of the metrics stream (unconsumed batches, oldest discarded beyond). The all-in-one takes at most half the free space of its data folder.',
  ),
  seriesRefreshSeconds: setting(
    'COLLECTOR_SERIES_REFRESH_S',
    posNum(600),
    'How often a known series has its last-seen time rewritten.',
  ),
  rollupIntervalMs: setting(
    'COLLECTOR_ROLLUP_INTERVAL_MS',
    posNum(10_000),
    'How often the samples written are rolled into the 1-minute and 1-hour rollups.',
  ),
  rollupGraceSeconds: setting(
    'COLLECTOR_ROLLUP_GRACE_S',
    posNum(30),
    'Seconds after a minute ends before it is first rolled; a point arriving later has its minute rolled again.',
  ),
  ...opsSettings('COLLECTOR', 8091),
}
export type CollectorConfig = ConfigOf<typeof collectorSettings>

export const loadCollectorConfig = (env = process.env) => loadConfig(collectorSettings, 'collector', env)
