// Two `peregrine judge` processes share the partitions; `kill -9` of one moves its partitions to
// the other within seconds, and every point that arrives meanwhile is judged: each host's PROBLEM
// is raised exactly once.
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import {
  AlertEvent,
  BatchBuilder,
  ConfigStore,
  EVENTS_SUBJECT_PREFIX,
  encodeBatch,
  ensureEventsStream,
  ensureMetricsStream,
  METRICS_PARTITIONS,
  metricsSubject,
  type Strategy,
  StrategySpec,
} from '@peregrine/common'
import { startTestNats, type TestNats, waitFor } from '@peregrine/common/testing'
import { connect, type KV, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startCli } from './run-cli.ts'

let nats: TestNats
let nc: NatsConnection
const children: ChildProcess[] = []

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect({ ...nats.connectOptions('service'), maxReconnectAttempts: -1 })
  await ensureMetricsStream(await nc.jetstreamManager())
  await ensureEventsStream(await nc.jetstreamManager())
})

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL')
  await nc?.close()
  await nats?.dispose()
})

function judge(instance: string): ChildProcess {
  const child = startCli('judge', {
    ...nats.env('service'),
    JUDGE_INSTANCE: instance,
    JUDGE_LEASE_MS: '4000',
    JUDGE_RENEW_MS: '500',
    JUDGE_OPS_PORT: '0',
    LOG_LEVEL: 'warn',
  })
  children.push(child)
  return child
}

/** Partition → the judge holding it, from the leases bucket (key by key: a listing may come back short). */
async function holders(kv: KV): Promise<Map<number, string>> {
  const out = new Map<number, string>()
  for (let p = 0; p < METRICS_PARTITIONS; p++) {
    const e = await kv.get(`p.${p}`)
    if (e?.operation === 'PUT') out.set(p, e.string())
  }
  return out
}

it('takes over a judge killed with SIGKILL and misses no point', async () => {
  const config = await ConfigStore.open(nc)
  const s = {
    ...StrategySpec.parse({ name: 'temp-high', metric: 'temp', fn: 'all', window: '#1', threshold: 70 }),
    id: 's_temp',
    node: null,
  }
  await config.strategies.create(s.id, s as Strategy)
  const events: AlertEvent[] = []
  const sub = nc.subscribe(`${EVENTS_SUBJECT_PREFIX}.>`)
  void (async () => {
    for await (const m of sub) events.push(AlertEvent.parse(m.json()))
  })()

  const a = judge('judge-a')
  const b = judge('judge-b')
  // Bound only once the judges made it: the bucket's max age is theirs to set.
  const kv = await waitFor(
    () =>
      nc
        .jetstream()
        .views.kv('peregrine-judge-leases', { bindOnly: true })
        .catch(() => undefined),
    30_000,
    'the leases bucket',
  )
  // Both at work; the exact split may still be settling, which does not matter here.
  await waitFor(
    async () => {
      const h = [...(await holders(kv)).values()]
      const b = h.filter((j) => j === 'judge-b').length
      return h.length === METRICS_PARTITIONS && b > 0 && b < METRICS_PARTITIONS
    },
    60_000,
    'both judges holding partitions',
  )
  const hosts = Array.from({ length: 40 }, (_, i) => `machine-${i}`)
  const publish = async (ts: number, value: number) => {
    for (const host of hosts) {
      const batch = new BatchBuilder({ host, agent: 'test' })
      batch.add({ endpoint: host, metric: 'temp', tags: '', counterType: 'GAUGE', step: 10 }, ts, value)
      await nc.jetstream().publish(metricsSubject(host), encodeBatch(batch.take()))
    }
  }
  const t = Math.floor(Date.now() / 1000 / 10) * 10
  await publish(t, 20)

  b.kill('SIGKILL')
  const killed = performance.now()
  await publish(t + 10, 90)
  await waitFor(
    async () => {
      const h = await holders(kv)
      return h.size === METRICS_PARTITIONS && [...h.values()].every((j) => j === 'judge-a')
    },
    20_000,
    'judge-a holding every partition',
  )
  const tookOver = performance.now() - killed
  await waitFor(
    () => new Set(events.map((e) => e.endpoint)).size === hosts.length,
    20_000,
    'every host’s PROBLEM',
  )
  await new Promise((r) => setTimeout(r, 500))
  for (const host of hosts)
    expect(
      events.filter((e) => e.endpoint === host).map((e) => `${e.status} ${e.timestamp - t}`),
      host,
    ).toEqual(['PROBLEM 10'])
  expect(tookOver).toBeLessThan(10_000)
  a.kill('SIGTERM')
  expect((await once(a, 'exit'))[0]).toBe(0)
}, 120_000)
