// Partition leases against the real nats-server: judges share the partitions fairly, a dead
// judge's partitions move to the living within about one lease, and no partition ever has two
// holders at once.
import { createLogger } from '@peregrine/common'
import { startTestNats, type TestNats, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type LeaseOptions, openLeasesBucket, PartitionLeases } from '../src/leases.ts'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
const PARTITIONS = 8
const timing = { leaseMs: 2000, renewMs: 250 }

/** When each judge held each partition: [judge, partition, from, to (null: still)]. */
type Interval = [string, number, number, number | null]

let nats: TestNats
const connections: NatsConnection[] = []

beforeAll(async () => {
  nats = await startTestNats()
})

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined)
  await nats?.dispose()
})

async function judge(instance: string, intervals: Interval[]) {
  const nc = await connect({ ...nats.connectOptions('service'), reconnect: false })
  connections.push(nc)
  const o: LeaseOptions = { partitions: PARTITIONS, instance, ...timing }
  const leases = new PartitionLeases(
    await openLeasesBucket(nc, o),
    o,
    {
      acquired: async (p) => void intervals.push([instance, p, performance.now(), null]),
      released: async (p) => {
        const open = intervals.find(([j, q, , to]) => j === instance && q === p && to === null)
        if (open) open[3] = performance.now()
      },
    },
    log,
  )
  leases.start()
  return { nc, leases }
}

/** No two judges' intervals on one partition overlap. */
function expectNoOverlap(intervals: Interval[]) {
  for (const a of intervals)
    for (const b of intervals) {
      if (a === b || a[0] === b[0] || a[1] !== b[1]) continue
      const [aFrom, aTo] = [a[2], a[3] ?? Number.POSITIVE_INFINITY]
      const [bFrom, bTo] = [b[2], b[3] ?? Number.POSITIVE_INFINITY]
      expect(aTo <= bFrom || bTo <= aFrom, `partition ${a[1]} held by ${a[0]} and ${b[0]} at once`).toBe(true)
    }
}

describe('partition leases', () => {
  it('share the partitions, move a dead judge’s within about a lease, and never overlap', async () => {
    const intervals: Interval[] = []
    const a = await judge('judge-a', intervals)
    await waitFor(() => a.leases.owned.length === PARTITIONS, 10_000, 'a alone holds everything')

    const b = await judge('judge-b', intervals)
    await waitFor(
      () => a.leases.owned.length === PARTITIONS / 2 && b.leases.owned.length === PARTITIONS / 2,
      15_000,
      'a fair split',
    )
    expect(new Set([...a.leases.owned, ...b.leases.owned]).size).toBe(PARTITIONS)

    // b dies without a word: its connection is gone, its leases are left to expire.
    const bOwned = b.leases.owned
    const died = performance.now()
    await b.nc.close()
    await waitFor(() => a.leases.owned.length === PARTITIONS, 15_000, 'a takes b’s partitions')
    const movedAfter = Math.max(
      ...bOwned.map((p) => intervals.findLast(([j, q]) => j === 'judge-a' && q === p)![2] - died),
    )
    expect(movedAfter).toBeLessThan(timing.leaseMs + 3 * timing.renewMs + 1000)
    // b stopped evaluating on its own, before its leases could expire.
    await waitFor(() => b.leases.owned.length === 0, 5000, 'b fenced')
    expectNoOverlap(intervals)

    await a.leases.stop()
    expect(a.leases.owned).toEqual([])
    expect(intervals.every(([, , , to]) => to !== null)).toBe(true)
  })

  it('hands partitions over at once when a judge stops cleanly', async () => {
    const intervals: Interval[] = []
    const a = await judge('judge-c', intervals)
    const b = await judge('judge-d', intervals)
    await waitFor(
      () => a.leases.owned.length + b.leases.owned.length === PARTITIONS && a.leases.owned.length > 0,
      15_000,
      'both hold some',
    )
    const stopped = performance.now()
    await b.leases.stop()
    await waitFor(() => a.leases.owned.length === PARTITIONS, 10_000, 'c takes everything')
    // No lease had to expire: b deleted its leases and its membership.
    expect(performance.now() - stopped).toBeLessThan(timing.leaseMs)
    expectNoOverlap(intervals)
    await a.leases.stop()
  })

  it('keeps a lease whose renewal was applied although its answer was lost', async () => {
    const intervals: Interval[] = []
    const a = await judge('judge-e', intervals)
    await waitFor(() => a.leases.owned.length === PARTITIONS, 10_000, 'e holds everything')
    // What a renewal that timed out after the server applied it leaves: the key names this
    // judge at a revision the judge never saw.
    const kv = await openLeasesBucket(a.nc, timing)
    await kv.kv.put('p.0', 'judge-e')
    await new Promise((r) => setTimeout(r, 4 * timing.renewMs))
    expect(a.leases.owned).toContain(0)
    expect(intervals.filter(([, p]) => p === 0)).toHaveLength(1)
    await a.leases.stop()
  })
})
