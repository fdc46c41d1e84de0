// The judge service against the real nats-server: points on the metrics stream become events on
// the events stream; a restart neither repeats a PROBLEM nor loses an OK; a dead judge's
// partitions are taken over; nodata fires and recovers; strategy edits apply without a restart.
import {
  AlertEvent,
  BatchBuilder,
  EVENTS_STREAM,
  encodeBatch,
  METRICS_PARTITIONS,
  metricsPartition,
  metricsSubject,
} from '@peregrine/common'
import { waitFor } from '@peregrine/common/testing'
import { describe, expect, it } from 'vitest'
import { STATE_BUCKET } from '../src/state-store.ts'
import { addStrategy, config, nc, startOne, useJudgeNats } from './harness.ts'

const PARTITIONS = METRICS_PARTITIONS
/** Nodata checked often, so that it fires and recovers within a test. */
const NODATA = { JUDGE_NODATA_CHECK_MS: '200' }
useJudgeNats()

async function push(host: string, metric: string, points: [number, number][]): Promise<void> {
  const b = new BatchBuilder({ host, agent: 'test' })
  for (const [ts, v] of points)
    b.add({ endpoint: host, metric, tags: '', counterType: 'GAUGE', step: 10 }, ts, v)
  await nc.jetstream().publish(metricsSubject(host), encodeBatch(b.take()))
}

/** Every event on the stream so far, of one endpoint, as `status step value`. */
async function eventsOf(endpoint: string): Promise<AlertEvent[]> {
  const jsm = await nc.jetstreamManager()
  const last = (await jsm.streams.info(EVENTS_STREAM)).state.last_seq
  const out: AlertEvent[] = []
  if (last === 0) return out
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM)
  const messages = await consumer.fetch({ max_messages: 10_000, expires: 1000 })
  for await (const m of messages) {
    const e = AlertEvent.parse(m.json())
    if (e.endpoint === endpoint) out.push(e)
    if (m.seq >= last) break
  }
  return out
}
const brief = (events: AlertEvent[]) => events.map((e) => `${e.kind} ${e.status} ${e.step} ${e.value}`)

const now = () => Math.floor(Date.now() / 1000)
const t0 = () => now() - (now() % 10)

describe('judge service', () => {
  it('raises PROBLEM and OK from points on the stream, and a restart neither repeats nor loses one', async () => {
    await addStrategy({
      name: 'idle-low',
      metric: 'cpu.idle',
      fn: 'all',
      window: '#3',
      operator: '<',
      threshold: 10,
      receivers: [],
    })
    const a = await startOne('judge-1', NODATA)
    await waitFor(() => a.judge.partitions.length === PARTITIONS, 30_000, 'partitions taken')
    const t = t0() - 100
    await push('web-1', 'cpu.idle', [
      [t, 5],
      [t + 10, 4],
      [t + 20, 3],
    ])
    await waitFor(async () => (await eventsOf('web-1')).length === 1, 30_000, 'the PROBLEM')
    const [problem] = await eventsOf('web-1')
    expect(problem).toMatchObject({ status: 'PROBLEM', step: 1, value: 3, timestamp: t + 20, kind: 'value' })
    expect(problem!.strategy).toMatchObject({
      name: 'idle-low',
      condition: 'all(#3) cpu.idle < 10',
      priority: 3,
    })

    // A restarted judge: same condition still true must not raise the PROBLEM again; the OK
    // that follows must come.
    await a.judge.stop()
    const b = await startOne('judge-2', NODATA)
    await waitFor(() => b.judge.partitions.length === PARTITIONS, 30_000, 'partitions taken again')
    await push('web-1', 'cpu.idle', [[t + 30, 2]])
    await push('web-1', 'cpu.idle', [[t + 40, 50]])
    await waitFor(async () => (await eventsOf('web-1')).length >= 2, 30_000, 'the OK')
    await new Promise((r) => setTimeout(r, 500))
    expect(brief(await eventsOf('web-1'))).toEqual(['value PROBLEM 1 3', 'value OK 1 50'])
    await b.judge.stop()
  })

  it('takes a dead judge’s partitions over and misses nothing', async () => {
    await addStrategy({
      name: 'load-high',
      metric: 'load.1min',
      fn: 'all',
      window: '#1',
      operator: '>',
      threshold: 8,
    })
    const a = await startOne('judge-3', NODATA)
    const b = await startOne('judge-4', NODATA)
    await waitFor(
      () => a.judge.partitions.length === PARTITIONS / 2 && b.judge.partitions.length === PARTITIONS / 2,
      30_000,
      'a fair split',
    )
    // Hosts on both judges' partitions.
    const hosts = Array.from({ length: 12 }, (_, i) => `node-${i}`)
    const t = t0() - 200
    for (const h of hosts) await push(h, 'load.1min', [[t, 1]])
    // b dies without a word; the points that follow land on its partitions too.
    await b.nc.close()
    for (const h of hosts) await push(h, 'load.1min', [[t + 10, 9]])
    await waitFor(() => a.judge.partitions.length === PARTITIONS, 30_000, 'a takes everything')
    for (const h of hosts)
      await waitFor(async () => (await eventsOf(h)).length === 1, 30_000, `the PROBLEM of ${h}`)
    for (const h of hosts) expect(brief(await eventsOf(h))).toEqual(['value PROBLEM 1 9'])
    await a.judge.stop()
  })

  it('raises nodata once, recovers when data is back, and applies a strategy edit live', async () => {
    const s = await addStrategy({
      name: 'beat',
      metric: 'app.beat',
      fn: 'all',
      window: '#1',
      operator: '<',
      threshold: 0,
      nodata: '2s',
    })
    const a = await startOne('judge-5', NODATA)
    await waitFor(() => a.judge.partitions.length === PARTITIONS, 30_000, 'partitions taken')
    await push('svc-1', 'app.beat', [[now(), 1]])
    await waitFor(async () => (await eventsOf('svc-1')).length === 1, 30_000, 'nodata PROBLEM')
    await new Promise((r) => setTimeout(r, 1000))
    await push('svc-1', 'app.beat', [[now() + 10, 1]])
    await waitFor(async () => (await eventsOf('svc-1')).length === 2, 30_000, 'nodata OK')
    expect(brief(await eventsOf('svc-1'))).toEqual(['nodata PROBLEM 1 null', 'nodata OK 1 null'])

    // The threshold goes up: the same value now satisfies the condition, without a restart.
    const stored = (await config.strategies.get(s.id))!
    await config.strategies.update(
      s.id,
      { ...stored.value, threshold: 5, nodata: undefined },
      stored.revision,
    )
    await new Promise((r) => setTimeout(r, 1000))
    await push('svc-1', 'app.beat', [[now() + 20, 1]])
    await waitFor(async () => (await eventsOf('svc-1')).length === 3, 30_000, 'PROBLEM after the edit')
    expect(brief(await eventsOf('svc-1')).at(-1)).toBe('value PROBLEM 1 1')
    await a.judge.stop()
  })

  it('starts without a partition state that is not valid, and skips messages that are not batches', async () => {
    await addStrategy({
      name: 'qps-high',
      metric: 'app.qps',
      fn: 'all',
      window: '#1',
      operator: '>',
      threshold: 100,
    })
    const host = 'hostile-1'
    const kv = await nc.jetstream().views.kv(STATE_BUCKET)
    await kv.put(`partition.${metricsPartition(host)}`, '{"v":1,"checkpoint":"soon","states":[{"kind":"x"}]}')
    const a = await startOne('judge-6', NODATA)
    await waitFor(() => a.judge.partitions.length === PARTITIONS, 30_000, 'partitions taken')
    await nc
      .jetstream()
      .publish(metricsSubject(host), new TextEncoder().encode('{"v":1,"series":"not arrays"}'))
    await nc.jetstream().publish(metricsSubject(host), new TextEncoder().encode('\u0000garbage'))
    await push(host, 'app.qps', [[now(), 500]])
    await waitFor(async () => (await eventsOf(host)).length === 1, 30_000, 'the PROBLEM after the garbage')
    expect(brief(await eventsOf(host))).toEqual(['value PROBLEM 1 500'])
    await a.judge.stop()
  })
})
