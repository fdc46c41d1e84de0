// A judge reading a backlog asks NATS only for what it can handle: with a server that drops a
// client as soon as 8 MiB wait for it (its least), a 30 MB backlog is read whole over one connection.
import {
  BatchBuilder,
  createLogger,
  createRegistry,
  encodeBatch,
  ensureEventsStream,
  ensureMetricsStream,
  METRICS_STREAM,
  metricsPartition,
  metricsSubject,
  startNatsServer,
  Tree,
} from '@peregrine/common'
import { type TempDir, tempDir, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { judgeMetrics } from '../src/metrics.ts'
import { PartitionWorker } from '../src/partition.ts'
import { ReadShare } from '../src/read-share.ts'
import type { PartitionState, PartitionStateStore } from '../src/state-store.ts'
import { StrategyView } from '../src/strategy-view.ts'

const MESSAGES = 360
const POINTS = 1500 // ~100 KB a message
let dir: TempDir
let server: Awaited<ReturnType<typeof startNatsServer>>
let nc: NatsConnection

beforeAll(async () => {
  dir = await tempDir('peregrine-backlog-')
  server = await startNatsServer({ dataDir: dir.path, maxPendingBytes: 8 * 1024 * 1024 })
  nc = await connect({ servers: server.url })
  await ensureMetricsStream(await nc.jetstreamManager())
  await ensureEventsStream(await nc.jetstreamManager())
})

afterAll(async () => {
  await nc?.close()
  await server?.stop()
  await dir?.remove()
})

/** Publishes `count` messages of `host`, POINTS points each, from cycle `first` on; their bytes. */
async function publish(host: string, first: number, count: number): Promise<number> {
  const ts = Math.floor(Date.now() / 1000) - 3000
  let bytes = 0
  for (let m = first; m < first + count; m++) {
    const b = new BatchBuilder({ host, agent: 'test' })
    for (let i = 0; i < POINTS; i++)
      b.add(
        { endpoint: host, metric: 'load', tags: `core=${i}`, counterType: 'GAUGE', step: 10 },
        ts + m * 10,
        i,
      )
    const data = encodeBatch(b.take())
    bytes += data.length
    await nc.jetstream().publish(metricsSubject(host), data)
  }
  return bytes
}

/** A partition worker on its own connection, whose points counter and connection events are kept. */
async function startWorker(host: string, readBufferBytes: number) {
  const reader = await connect({ servers: server.url })
  const statuses: string[] = []
  void (async () => {
    for await (const s of reader.status()) statuses.push(String(s.type))
  })()
  const saved = { checkpoint: null, states: new Map() } as PartitionState
  const states = {
    keyOf: () => '',
    load: async () => saved,
    save: async () => undefined,
  } as unknown as PartitionStateStore
  const registry = createRegistry()
  const view = new StrategyView()
  view.replace(new Tree({ nodes: [] }), [], [])
  const worker = new PartitionWorker(metricsPartition(host), {
    nc: reader,
    view,
    states,
    log: createLogger('test', process.env.TEST_LOG ?? 'silent'),
    metrics: judgeMetrics(registry),
    evaluator: {},
    readShare: new ReadShare(readBufferBytes),
    replaySeconds: 3600,
    nodataCheckMs: 1000,
  })
  await worker.start()
  return {
    statuses,
    points: async () =>
      (await registry.getSingleMetric('peregrine_judge_points_total')?.get())?.values[0]?.value,
    stop: async () => {
      await worker.stop()
      await reader.close()
    },
  }
}

it('reads a backlog far above the server’s per-client limit without being dropped', async () => {
  const host = 'busy-1'
  expect(await publish(host, 0, MESSAGES)).toBeGreaterThan(3 * 8 * 1024 * 1024)
  const w = await startWorker(host, 2 * 1024 * 1024)
  try {
    await waitFor(async () => (await w.points()) === MESSAGES * POINTS, 40_000, 'every point read')
    expect(w.statuses.filter((s) => s === 'disconnect' || s === 'error')).toEqual([])
  } finally {
    await w.stop()
  }
})

it('resumes after the last message it handled when its consumer is deleted under it', async () => {
  const host = 'busy-2'
  await publish(host, 0, 10)
  const w = await startWorker(host, 1024 * 1024)
  try {
    await waitFor(async () => (await w.points()) === 10 * POINTS, 20_000, 'the first messages read')
    const jsm = await nc.jetstreamManager()
    for await (const c of jsm.consumers.list(METRICS_STREAM))
      await jsm.consumers.delete(METRICS_STREAM, c.name)
    await publish(host, 10, 10)
    await waitFor(async () => (await w.points()) === 20 * POINTS, 20_000, 'the later messages read')
    // Not one read twice.
    await new Promise((r) => setTimeout(r, 500))
    expect(await w.points()).toBe(20 * POINTS)
  } finally {
    await w.stop()
  }
})
