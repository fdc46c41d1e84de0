// A partition whose state cannot be saved for a while (NATS slow or away) keeps judging and
// saves it later: a failed save is never an unhandled rejection, which would end the process.
import {
  BatchBuilder,
  createLogger,
  createRegistry,
  encodeBatch,
  ensureEventsStream,
  ensureMetricsStream,
  metricsPartition,
  metricsSubject,
  type Strategy,
  StrategySpec,
  Tree,
} from '@peregrine/common'
import { startTestNats, type TestNats, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { judgeMetrics } from '../src/metrics.ts'
import { PartitionWorker } from '../src/partition.ts'
import { ReadShare } from '../src/read-share.ts'
import type { PartitionState, PartitionStateStore } from '../src/state-store.ts'
import { StrategyView } from '../src/strategy-view.ts'

let nats: TestNats
let nc: NatsConnection

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect(nats.connectOptions('service'))
  await ensureMetricsStream(await nc.jetstreamManager())
  await ensureEventsStream(await nc.jetstreamManager())
})

afterAll(async () => {
  await nc?.close()
  await nats?.dispose()
})

/**
 * A worker of `host`'s partition judging `temp all(#1) > 50`, whose states go to `save` (the
 * start's boundary first), on a registry of its own.
 */
async function startWorker(host: string, save: (s: PartitionState) => void) {
  const states = {
    keyOf: (k: { kind: string; strategy: string; endpoint: string; metric: string; tags: string }) =>
      [k.kind, k.strategy, k.endpoint, k.metric, k.tags].join('\t'),
    load: async () => ({ checkpoint: null, states: new Map() }),
    save: async (_p: number, s: PartitionState) => save(s),
  } as unknown as PartitionStateStore
  const strategy = {
    ...StrategySpec.parse({ name: 'hot', metric: 'temp', fn: 'all', window: '#1', threshold: 50 }),
    id: 's_hot',
    node: null,
  } as Strategy
  const view = new StrategyView()
  view.replace(new Tree({ nodes: [] }), [], [strategy])
  const registry = createRegistry()
  const worker = new PartitionWorker(metricsPartition(host), {
    nc,
    view,
    states,
    log: createLogger('test', process.env.TEST_LOG ?? 'silent'),
    metrics: judgeMetrics(registry),
    evaluator: {},
    readShare: new ReadShare(1024 * 1024),
    replaySeconds: 60,
    nodataCheckMs: 1000,
  })
  await worker.start()
  return { worker, registry }
}

it('keeps judging when saving its state fails, and saves it on a later flush', async () => {
  const saved: PartitionState[] = []
  let failures = 1
  const host = 'oven-1'
  const { worker } = await startWorker(host, (s) => {
    // The first save is the start's boundary; the one after the event fails, as on a timeout.
    if (saved.length === 1 && failures > 0) {
      failures--
      throw new Error('TIMEOUT')
    }
    saved.push({ checkpoint: s.checkpoint, states: new Map(s.states) })
  })
  const b = new BatchBuilder({ host, agent: 'test' })
  const ts = Math.floor(Date.now() / 1000)
  b.add({ endpoint: host, metric: 'temp', tags: '', counterType: 'GAUGE', step: 10 }, ts - (ts % 10), 90)
  await nc.jetstream().publish(metricsSubject(host), encodeBatch(b.take()))
  // The PROBLEM's state is saved after all, with the checkpoint past the point.
  await waitFor(() => saved.some((s) => s.states.size === 1), 10_000, 'the state saved')
  expect(failures).toBe(0)
  expect(saved.at(-1)!.checkpoint).toBeGreaterThan(saved[0]!.checkpoint ?? 0)
  await worker.stop()
})

it('skips what is not a batch, series storage refuses and points from the future, and judges the rest', async () => {
  const saved: PartitionState[] = []
  const host = 'oven-2'
  const { worker, registry } = await startWorker(host, (s) =>
    saved.push({ checkpoint: s.checkpoint, states: new Map(s.states) }),
  )
  const js = nc.jetstream()
  const now = Math.floor(Date.now() / 1000)
  const point = (counterType: string, ts: number, value: number) => {
    const b = new BatchBuilder({ host, agent: 'test' })
    b.add(
      { endpoint: host, metric: 'temp', tags: '', counterType: counterType as 'GAUGE', step: 10 },
      ts,
      value,
    )
    return encodeBatch(b.take())
  }
  await js.publish(metricsSubject(host), new TextEncoder().encode('{"v":1,"garbage":true}'))
  await js.publish(metricsSubject(host), point('GAUGE', now + 365 * 86400, 90)) // would block every later point
  await js.publish(metricsSubject(host), point('BOGUS', now, 90))
  await js.publish(metricsSubject(host), point('GAUGE', now - 20, 20))
  await js.publish(metricsSubject(host), point('GAUGE', now - 10, 90))
  await waitFor(() => saved.some((s) => s.states.size === 1), 10_000, 'the PROBLEM of the good points')
  const [state] = [...saved.at(-1)!.states.values()] as { status: string; lastEventTs: number }[]
  expect(state).toMatchObject({ status: 'PROBLEM', lastEventTs: now - 10 - ((now - 10) % 10) })
  const bad = (await registry.getSingleMetric('peregrine_judge_bad_messages_total')?.get())?.values[0]?.value
  expect(bad).toBe(1)
  await worker.stop()
})
