import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export function collectorMetrics(registry: Registry) {
  const r = { registers: [registry] }
  return {
    messages: new Counter({
      name: 'peregrine_collector_messages_total',
      help: 'Batch messages consumed',
      ...r,
    }),
    badMessages: new Counter({
      name: 'peregrine_collector_messages_rejected_total',
      help: 'Messages that were not a batch; terminated',
      ...r,
    }),
    accepted: new Counter({
      name: 'peregrine_collector_points_accepted_total',
      help: 'Points accepted',
      ...r,
    }),
    rejected: new Counter({
      name: 'peregrine_collector_points_rejected_total',
      help: 'Points rejected, by the field at fault',
      labelNames: ['field'],
      ...r,
    }),
    inserted: new Counter({
      name: 'peregrine_collector_points_inserted_total',
      help: 'Points inserted',
      ...r,
    }),
    rolls: new Counter({
      name: 'peregrine_collector_rollup_minutes_total',
      help: 'Minutes rolled into the 1-minute rollup (each time they were rolled)',
      ...r,
    }),
    rollFailures: new Counter({
      name: 'peregrine_collector_rollup_failures_total',
      help: 'Rolls that failed (retried at the next turn)',
      ...r,
    }),
    rollSeconds: new Histogram({
      name: 'peregrine_collector_rollup_seconds',
      help: 'Duration of a roller turn that rolled something',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      ...r,
    }),
    rollPending: new Gauge({
      name: 'peregrine_collector_rollup_pending',
      help: 'Written time ranges waiting to be rolled (their minutes still open, or the roller behind)',
      ...r,
    }),
    insertFailures: new Counter({
      name: 'peregrine_collector_insert_failures_total',
      help: 'Failed batch writes (retried)',
      ...r,
    }),
    insertSeconds: new Histogram({
      name: 'peregrine_collector_insert_seconds',
      help: 'Duration of a batch write',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ...r,
    }),
    lag: new Gauge({
      name: 'peregrine_collector_lag_seconds',
      help: 'Seconds from the publication of the oldest message of the last batch written to its acknowledgement',
      ...r,
    }),
    series: new Gauge({
      name: 'peregrine_collector_series_cached',
      help: 'Series in the collector cache',
      ...r,
    }),
  }
}
export type CollectorMetrics = ReturnType<typeof collectorMetrics>
