import { AlertEvent, EVENTS_STREAM, EVENTS_SUBJECT_PREFIX, ensureEventsStream } from '@peregrine/common'
import { jsonRow, type StreamTable } from './stream-table.ts'

export const EVENTS_CONSUMER = 'collector-events'

/** The events stream, persisted into the `events` table (and, through its view, `events_latest`). */
export const eventsTable: StreamTable = {
  what: 'events',
  stream: EVENTS_STREAM,
  subject: `${EVENTS_SUBJECT_PREFIX}.>`,
  consumer: EVENTS_CONSUMER,
  ensureStream: ensureEventsStream,
  row: jsonRow(AlertEvent, toRow),
  insert: (store, rows) => store.insertJsonRows('events', rows),
}

/** An event as the columns of `events`. */
function toRow(e: AlertEvent) {
  const s = e.strategy
  return {
    timestamp: e.timestamp,
    id: e.id,
    key: e.key,
    status: e.status,
    kind: e.kind,
    step: e.step,
    value: e.value,
    flapping: e.flapping ? 1 : 0,
    endpoint: e.endpoint,
    metric: e.metric,
    tags: e.tags,
    strategy_id: s.id,
    strategy_name: s.name,
    node: s.node ?? '',
    priority: s.priority,
    condition: s.condition,
    operator: s.operator,
    threshold: s.threshold,
    note: s.note,
    receivers: s.receivers,
    callback_url: s.callbackUrl ?? '',
    paths: e.paths,
    // As text: DateTime64 reads unix seconds with a fraction from a string, not from a JSON number.
    judged_at: (e.judgedAt / 1000).toFixed(3),
  }
}
