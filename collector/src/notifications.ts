import {
  ensureNotificationsStream,
  NOTIFICATIONS_STREAM,
  NOTIFICATIONS_SUBJECT_PREFIX,
  NotificationRecord,
} from '@peregrine/common'
import { jsonRow, type StreamTable } from './stream-table.ts'

export const NOTIFICATIONS_CONSUMER = 'collector-notifications'

/** The alarm's record of every delivery attempt, persisted into the `notifications` table. */
export const notificationsTable: StreamTable = {
  what: 'notifications',
  stream: NOTIFICATIONS_STREAM,
  subject: `${NOTIFICATIONS_SUBJECT_PREFIX}.>`,
  consumer: NOTIFICATIONS_CONSUMER,
  ensureStream: ensureNotificationsStream,
  row: jsonRow(NotificationRecord, toRow),
  insert: (store, rows) => store.insertJsonRows('notifications', rows),
}

/** A record as the columns of `notifications`. */
function toRow(r: NotificationRecord) {
  // As text: DateTime64 reads unix seconds with a fraction from a string, not from a JSON number.
  return { ...r, at: (r.at / 1000).toFixed(3) }
}
