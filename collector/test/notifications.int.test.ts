// The collector persists the alarm's notification records: every valid record once (even published
// twice), every field as sent, and a malformed message terminated and counted while the next is stored.

import { NOTIFICATIONS_SUBJECT_PREFIX, publishNotification } from '@peregrine/common'
import { testNotification, waitFor } from '@peregrine/common/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RecordsHarness, startRecordsHarness } from './records-harness.ts'

let h: RecordsHarness

beforeAll(async () => {
  h = await startRecordsHarness()
})

afterAll(() => h?.dispose())

it('stores records once, as sent, and terminates what is not a record', async () => {
  const js = h.nc.jetstream()
  const failed = testNotification({
    id: 'n1-1',
    outcome: 'retrying',
    error: `550 mailbox unavailable\n\t'quoted' ${'x'.repeat(5000)}`,
  })
  const sent = testNotification({ id: 'n1-2', attempt: 2, at: failed.at + 30_000 })
  await publishNotification(js, failed)
  await publishNotification(js, failed)
  await js.publish(`${NOTIFICATIONS_SUBJECT_PREFIX}.email`, '{"not":"a record"}')
  await js.publish(`${NOTIFICATIONS_SUBJECT_PREFIX}.email`, 'not even JSON')
  await publishNotification(js, sent)
  await waitFor(async () => (await h.rows('SELECT id FROM notifications FINAL')).length === 2, 10_000, 'two')
  const stored = await h.rows(
    `SELECT *, toUnixTimestamp64Milli(at) AS ms FROM notifications FINAL ORDER BY at`,
  )
  expect(stored[0]).toMatchObject({
    id: 'n1-1',
    notification: failed.notification,
    events: failed.events,
    keys: failed.keys,
    outcome: 'retrying',
    attempt: 1,
    paths: ['shop.web'],
    endpoints: ['web-1'],
    ms: String(failed.at),
  })
  // Cut to its bound when published, and stored with its quotes, tabs and newlines.
  expect(stored[0]!.error).toBe(failed.error.slice(0, 2000))
  expect(stored[1]).toMatchObject({ id: 'n1-2', outcome: 'sent', attempt: 2 })
  expect(await h.counter('peregrine_collector_notifications_rejected_total')).toBe(2)
  expect(await h.counter('peregrine_collector_notifications_records_total')).toBe(2)
})
