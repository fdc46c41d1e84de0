import type { ReadMetric } from '@peregrine/common/exposition'
import type { Publisher } from './publisher.ts'
import type { Spool } from './spool.ts'

/** What the agent counts itself; the rest of its metrics are read from the spool and publisher. */
export interface AgentCounts {
  cycles: number
  points: number
  pushAccepted: number
  pushRejected: number
}

/** A metric of one unlabelled sample, `value()` when read. */
const single = (type: ReadMetric['type'], name: string, help: string, value: () => number): ReadMetric => ({
  name,
  help,
  type,
  read: () => [{ value: value() }],
})

/**
 * The agent's `/metrics` (peregrine_agent_*): plain numbers read when asked for, so the agent's
 * process loads no metrics library. The all-in-one puts them in its prom-client registry
 * (registerReadMetrics), where the dashboard's `/metrics` shows them.
 */
export function agentMetrics(spool: Spool, publisher: Publisher, counts: AgentCounts): ReadMetric[] {
  return [
    single('gauge', 'peregrine_agent_spool_bytes', 'Bytes waiting in the spool', () => spool.bytes),
    single('gauge', 'peregrine_agent_spool_batches', 'Batches waiting in the spool', () => spool.size),
    single(
      'gauge',
      'peregrine_agent_spool_dropped_points',
      'Points dropped from a full spool',
      () => spool.droppedPoints,
    ),
    {
      name: 'peregrine_agent_dropped_points',
      help: 'Points of spooled batches dropped for good: refused by JetStream or unreadable',
      type: 'gauge',
      labelNames: ['reason'],
      read: () => Object.entries(publisher.dropped).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    single(
      'gauge',
      'peregrine_agent_durable',
      '1 while points can be stored (JetStream or the spool), 0 while pushes get 503',
      () => (publisher.problem ? 0 : 1),
    ),
    single('gauge', 'peregrine_agent_publish_failures', 'Failed publishes', () => publisher.publishFailures),
    single('counter', 'peregrine_agent_cycles_total', 'Collection cycles', () => counts.cycles),
    single('counter', 'peregrine_agent_points_total', 'Points collected', () => counts.points),
    single(
      'counter',
      'peregrine_agent_push_accepted_total',
      'Pushed points accepted',
      () => counts.pushAccepted,
    ),
    single(
      'counter',
      'peregrine_agent_push_rejected_total',
      'Pushed points rejected',
      () => counts.pushRejected,
    ),
  ]
}
