import type { ReadMetric, Sample } from '@peregrine/common/exposition'
import type { Publisher } from './publisher.ts'
import type { Spool } from './spool.ts'

/** What the agent counts itself; the rest of its metrics are read from the spool and publisher. */
export interface AgentCounts {
  cycles: number
  points: number
  pushAccepted: number
  pushRejected: number
}

const one = (value: number): Sample[] => [{ value }]

/**
 * The agent's `/metrics` (peregrine_agent_*): plain numbers read when asked for, so the agent's
 * process loads no metrics library. The all-in-one puts them in its prom-client registry
 * (registerReadMetrics), where the dashboard's `/metrics` shows them.
 */
export function agentMetrics(spool: Spool, publisher: Publisher, counts: AgentCounts): ReadMetric[] {
  return [
    {
      name: 'peregrine_agent_spool_bytes',
      help: 'Bytes waiting in the spool',
      type: 'gauge',
      read: () => one(spool.bytes),
    },
    {
      name: 'peregrine_agent_spool_batches',
      help: 'Batches waiting in the spool',
      type: 'gauge',
      read: () => one(spool.size),
    },
    {
      name: 'peregrine_agent_spool_dropped_points',
      help: 'Points dropped from a full spool',
      type: 'gauge',
      read: () => one(spool.droppedPoints),
    },
    {
      name: 'peregrine_agent_dropped_points',
      help: 'Points of spooled batches dropped for good: refused by JetStream or unreadable',
      type: 'gauge',
      labelNames: ['reason'],
      read: () => Object.entries(publisher.dropped).map(([reason, value]) => ({ labels: { reason }, value })),
    },
    {
      name: 'peregrine_agent_durable',
      help: '1 while points can be stored (JetStream or the spool), 0 while pushes get 503',
      type: 'gauge',
      read: () => one(publisher.problem ? 0 : 1),
    },
    {
      name: 'peregrine_agent_publish_failures',
      help: 'Failed publishes',
      type: 'gauge',
      read: () => one(publisher.publishFailures),
    },
    {
      name: 'peregrine_agent_cycles_total',
      help: 'Collection cycles',
      type: 'counter',
      read: () => one(counts.cycles),
    },
    {
      name: 'peregrine_agent_points_total',
      help: 'Points collected',
      type: 'counter',
      read: () => one(counts.points),
    },
    {
      name: 'peregrine_agent_push_accepted_total',
      help: 'Pushed points accepted',
      type: 'counter',
      read: () => one(counts.pushAccepted),
    },
    {
      name: 'peregrine_agent_push_rejected_total',
      help: 'Pushed points rejected',
      type: 'counter',
      read: () => one(counts.pushRejected),
    },
  ]
}
