import type { Registry } from '@peregrine/common/metrics'
import { Counter, Gauge } from 'prom-client'

export function alarmMetrics(registry: Registry) {
  const r = { registers: [registry] }
  return {
    events: new Counter({
      name: 'peregrine_alarm_events_total',
      help: 'Events handled, by what became of them (notified, silenced, inhibited, acknowledged, suppressed, unrouted)',
      labelNames: ['outcome'],
      ...r,
    }),
    badMessages: new Counter({
      name: 'peregrine_alarm_bad_messages_total',
      help: 'Messages on the events stream that are not an event (terminated)',
      ...r,
    }),
    failures: new Counter({
      name: 'peregrine_alarm_failures_total',
      help: 'Events whose handling failed (left to JetStream, redelivered)',
      ...r,
    }),
    recordFailures: new Counter({
      name: 'peregrine_alarm_record_failures_total',
      help: 'Notification records that could not be published',
      ...r,
    }),
    inFlight: new Gauge({
      name: 'peregrine_alarm_events_in_flight',
      help: 'Events in hand (merged groups waiting included)',
      ...r,
    }),
  }
}
export type AlarmMetrics = ReturnType<typeof alarmMetrics>
