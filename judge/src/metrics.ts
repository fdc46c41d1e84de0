import type { Registry } from '@peregrine/common/metrics'
import { Counter, Gauge } from 'prom-client'

export function judgeMetrics(registry: Registry) {
  const r = { registers: [registry] }
  return {
    points: new Counter({
      name: 'peregrine_judge_points_total',
      help: 'Points read from the metrics stream',
      ...r,
    }),
    badMessages: new Counter({
      name: 'peregrine_judge_bad_messages_total',
      help: 'Metrics stream messages that are not a batch (skipped; the collector terminates them)',
      ...r,
    }),
    events: new Counter({
      name: 'peregrine_judge_events_total',
      help: 'Events raised, by status and kind',
      labelNames: ['status', 'kind'],
      ...r,
    }),
    publishFailures: new Counter({
      name: 'peregrine_judge_publish_failures_total',
      help: 'Failed event publications (retried)',
      ...r,
    }),
    partitions: new Gauge({
      name: 'peregrine_judge_partitions',
      help: 'Partitions this judge evaluates',
      ...r,
    }),
    series: new Gauge({
      name: 'peregrine_judge_series',
      help: 'Series held (some strategy may select them)',
      ...r,
    }),
  }
}
export type JudgeMetrics = ReturnType<typeof judgeMetrics>
