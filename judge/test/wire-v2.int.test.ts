// The judge reading batch format v2 on a real nats-server: series named by ids of their
// sender's dictionary, learnt inline or, by a judge that never saw the definitions (it took the
// partition over), from the series bucket; a strategy added later applies to series already known.
import {
  AlertEvent,
  BatchBuilder,
  BatchDecoder,
  EVENTS_STREAM,
  METRICS_PARTITIONS,
  METRICS_STREAM,
  metricsSubject,
  seriesDefinitionsWriter,
  WireSender,
} from '@peregrine/common'
import { waitFor } from '@peregrine/common/testing'
import { describe, expect, it } from 'vitest'
import type { Judge } from '../src/index.ts'
import { addStrategy, nc, startOne, useJudgeNats } from './harness.ts'

useJudgeNats()

/** A judge holding every partition, as when it is the only one. */
async function startAlone(instance: string): Promise<Judge> {
  const { judge } = await startOne(instance)
  await waitFor(() => judge.partitions.length === METRICS_PARTITIONS, 30_000, 'partitions taken')
  return judge
}

const allBelow = (name: string, metric: string, window: string, threshold: number) =>
  addStrategy({ name, metric, fn: 'all', window, operator: '<', threshold, receivers: [] })

/** One agent's worth of sending: its dictionary, saved to the series bucket as the agent does. */
function sender(host: string) {
  const wire = new WireSender(seriesDefinitionsWriter(nc, metricsSubject(host)))
  return {
    wire,
    /** Publishes one message of points of `metric`; resolves with its sequence and inline definitions. */
    async publish(metric: string, points: [number, number][]) {
      const b = new BatchBuilder({ host, agent: 'test' })
      for (const [ts, v] of points)
        b.add({ endpoint: host, metric, tags: '', counterType: 'GAUGE', step: 10 }, ts, v)
      const data = wire.encode(b.take(), false)
      const d = new BatchDecoder().decode(data)
      const ack = await nc.jetstream().publish(metricsSubject(host), data)
      return { seq: ack.seq, definitions: d.ok && d.v === 2 ? d.batch.defIds.length : -1 }
    },
  }
}

async function eventsOf(endpoint: string): Promise<string[]> {
  const last = (await (await nc.jetstreamManager()).streams.info(EVENTS_STREAM)).state.last_seq
  const out: string[] = []
  if (last === 0) return out
  const messages = await (await nc.jetstream().consumers.get(EVENTS_STREAM)).fetch({
    max_messages: 10_000,
    expires: 1000,
  })
  for await (const m of messages) {
    const e = AlertEvent.parse(m.json())
    if (e.endpoint === endpoint) out.push(`${e.metric} ${e.status} ${e.value}`)
    if (m.seq >= last) break
  }
  return out
}

const now = () => Math.floor(Date.now() / 1000)
const t0 = () => now() - (now() % 10)

describe('judge reading v2 batches', () => {
  it('evaluates series learnt inline, and applies a strategy added once they are known', async () => {
    await allBelow('v2-idle', 'cpu.idle', '#3', 10)
    const judge = await startAlone('v2-judge-1')
    const host = sender('v2-a')
    const t = t0() - 100
    expect((await host.publish('cpu.idle', [[t, 5]])).definitions).toBe(1)
    expect((await host.publish('mem.free', [[t, 1]])).definitions).toBe(1)
    await host.wire.settle()
    expect((await host.publish('cpu.idle', [[t + 10, 4]])).definitions).toBe(0)
    expect((await host.publish('cpu.idle', [[t + 20, 3]])).definitions).toBe(0)
    await waitFor(async () => (await eventsOf('v2-a')).length === 1, 30_000, 'the PROBLEM')
    expect(await eventsOf('v2-a')).toEqual(['cpu.idle PROBLEM 3'])

    // mem.free was known as a series no strategy selects; now one does.
    await allBelow('v2-mem', 'mem.free', '#1', 5)
    await new Promise((r) => setTimeout(r, 1000))
    expect((await host.publish('mem.free', [[t + 10, 2]])).definitions).toBe(0)
    await waitFor(async () => (await eventsOf('v2-a')).length === 2, 30_000, 'the PROBLEM of mem.free')
    expect((await eventsOf('v2-a')).at(-1)).toBe('mem.free PROBLEM 2')
    await judge.stop()
  })

  it('takes a partition over and resolves series it never saw from the series bucket', async () => {
    const host = sender('v2-b')
    const t = t0() - 50
    const first = await host.publish('cpu.idle', [[t, 50]])
    expect(first.definitions).toBe(1)
    await host.wire.settle()
    // Gone from the stream: the next judge can learn the series only from the bucket.
    await (await nc.jetstreamManager()).streams.deleteMessage(METRICS_STREAM, first.seq)
    for (const [ts, v] of [
      [t + 10, 4],
      [t + 20, 3],
      [t + 30, 2],
    ] as [number, number][])
      expect((await host.publish('cpu.idle', [[ts, v]])).definitions).toBe(0)
    await startAlone('v2-judge-2')
    await waitFor(async () => (await eventsOf('v2-b')).length === 1, 30_000, 'the PROBLEM')
    expect(await eventsOf('v2-b')).toEqual(['cpu.idle PROBLEM 2'])
  })
})
