import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import {
  BatchBuilder,
  COLLECTOR_CONSUMER,
  encodeBatch,
  METRICS_STREAM,
  metricsSubject,
  rollTurn,
  Store,
} from '@peregrine/common'
import { startTestNats, type TempDir, type TestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const MESSAGES = 120
const POINTS_PER_MESSAGE = 1000

let nats: TestNats
let dir: TempDir
let nc: NatsConnection
const children: ChildProcess[] = []

function startCollectorProcess(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'collector'], {
    cwd: root,
    env: {
      ...process.env,
      ...nats.env('service'),
      PEREGRINE_DATA: dir.path,
      COLLECTOR_OPS_PORT: '0',
      COLLECTOR_BATCH_POINTS: '15000',
      COLLECTOR_BATCH_WAIT_MS: '200',
      // Messages the killed process held come back after this; the default minute would only slow the test.
      COLLECTOR_ACK_WAIT_MS: '5000',
      // Rolls while batches arrive, so the kill may land in a roll as well as in a write.
      COLLECTOR_ROLLUP_INTERVAL_MS: '300',
      SELF_METRICS_STEP: '3600',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  children.push(child)
  return child
}

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  nc = await connect(nats.connectOptions('service'))
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  await nc?.close()
  await nats?.dispose()
  await dir?.remove()
})

it('loses nothing and counts nothing twice when the collector is killed mid-batch', async () => {
  // The first start creates the stream and consumer; publishing then fills it.
  const first = startCollectorProcess()
  const jsm = await nc.jetstreamManager()
  await waitFor(
    () => jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER).catch(() => null),
    30_000,
    'consumer',
  )
  const js = nc.jetstream()
  // Recent enough to be inside retention: expired parts are dropped as they are written.
  const t0 = Math.floor(Date.now() / 86_400_000) * 86_400 - 86_400
  for (let m = 0; m < MESSAGES; m++) {
    const b = new BatchBuilder({ host: `crash-${m % 12}`, agent: 'test' })
    for (let i = 0; i < POINTS_PER_MESSAGE; i++) {
      const cycle = Math.floor(m / 12) * 10 + (i % 10)
      b.add(
        {
          endpoint: `crash-${m % 12}`,
          metric: `m.${Math.floor(i / 10)}`,
          tags: '',
          counterType: 'GAUGE',
          step: 10,
        },
        t0 + cycle * 10,
        i,
      )
    }
    await js.publish(metricsSubject(`crash-${m % 12}`), encodeBatch(b.take()))
  }
  // Kill it while it is part-way: some batches acknowledged, others in flight or not yet fetched.
  await waitFor(
    async () => (await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)).ack_floor.stream_seq >= 20,
  )
  first.kill('SIGKILL')
  await once(first, 'exit')
  const info = await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)
  expect(info.ack_floor.stream_seq).toBeLessThan(MESSAGES)

  const second = startCollectorProcess()
  await waitFor(
    async () => {
      const i = await jsm.consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)
      return i.num_pending === 0 && i.num_ack_pending === 0
    },
    90_000,
    'every message acknowledged',
  )
  second.kill('SIGTERM')
  await once(second, 'exit')
  expect(second.exitCode).toBe(0)

  const store = Store.open({ url: '', path: join(dir.path, 'clickhouse') })
  try {
    const q = async (query: string) => Number((await store.query<{ n: string }>({ query, params: {} }))[0]?.n)
    const mine = "fp IN (SELECT fp FROM series WHERE startsWith(endpoint, 'crash-'))"
    expect(await q(`SELECT count() AS n FROM (SELECT DISTINCT fp, ts FROM samples WHERE ${mine})`)).toBe(
      MESSAGES * POINTS_PER_MESSAGE,
    )
    // What the collectors had not rolled yet is recorded to be: rolling it completes the rollups.
    while ((await rollTurn(store, Math.floor(Date.now() / 1000), 0)).minutes > 0);
    expect(await q('SELECT count() AS n FROM rollup_dirty FINAL WHERE deleted = 0')).toBe(0)
    expect(await q(`SELECT sum(count) AS n FROM rollups_1m FINAL WHERE ${mine}`)).toBe(
      MESSAGES * POINTS_PER_MESSAGE,
    )
    expect(await q(`SELECT sum(count) AS n FROM rollups_1h FINAL WHERE ${mine}`)).toBe(
      MESSAGES * POINTS_PER_MESSAGE,
    )
  } finally {
    await store.close()
  }
}, 180_000)
