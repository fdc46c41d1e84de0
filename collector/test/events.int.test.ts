// The collector persists the judges' events: every valid event once (even published twice), each
// key's last event in events_latest, and a malformed message terminated without stopping the rest.

import { type AlertEvent, eventsSubject } from '@peregrine/common'
import { testEvent, waitFor } from '@peregrine/common/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type RecordsHarness, startRecordsHarness } from './records-harness.ts'

let h: RecordsHarness

beforeAll(async () => {
  h = await startRecordsHarness()
})

afterAll(() => h?.dispose())

const event = (over: Partial<AlertEvent>) => {
  const e = testEvent(over)
  return {
    ...e,
    strategy: { ...e.strategy, note: "it's 'quoted'\tand\ttabbed", receivers: ['ops', "o'brien"] },
  }
}

it('stores events once, keeps each key’s last, and terminates what is not an event', async () => {
  const js = h.nc.jetstream()
  const problem = event({})
  const ok = event({
    id: 'c3'.repeat(8),
    status: 'OK',
    value: 50,
    timestamp: 1_800_000_060,
    judgedAt: 1_800_000_060_500,
  })
  const other = event({ id: 'd4'.repeat(8), key: 'e5'.repeat(8), endpoint: 'web-2' })
  await js.publish(eventsSubject(1), JSON.stringify(problem), { msgID: problem.id })
  await js.publish(eventsSubject(1), JSON.stringify(problem), { msgID: problem.id })
  await js.publish(eventsSubject(1), '{"not":"an event"}')
  await js.publish(eventsSubject(2), JSON.stringify(ok), { msgID: ok.id })
  await js.publish(eventsSubject(2), JSON.stringify(other), { msgID: other.id })
  await waitFor(
    async () => (await h.rows('SELECT id FROM events FINAL')).length === 3,
    10_000,
    'three events',
  )
  const [stored] = await h.rows(`SELECT * FROM events FINAL WHERE id = '${problem.id}'`)
  expect(stored).toMatchObject({
    status: 'PROBLEM',
    note: "it's 'quoted'\tand\ttabbed",
    receivers: ['ops', "o'brien"],
    value: 3.5,
    paths: ['shop.web'],
  })
  const firing = await h.rows("SELECT endpoint FROM events_latest FINAL WHERE status = 'PROBLEM'")
  expect(firing).toEqual([{ endpoint: 'web-2' }])
  expect(await h.counter('peregrine_collector_events_rejected_total')).toBe(1)
})
