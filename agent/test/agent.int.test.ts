import { join } from 'node:path'
import {
  createLogger,
  ensureMetricsStream,
  type MetricBatch,
  splitSeriesKey,
  tagsFromRecord,
} from '@peregrine/common'
import {
  metricsStreamBatches,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Agent, type AgentConfig, loadAgentConfig, startAgent } from '../src/index.ts'
import type { MetricSource } from '../src/sources/source.ts'

/** A deterministic source: each cycle emits the next number, so gaps and reordering show. */
class SequenceSource implements MetricSource {
  readonly name = 'sequence'
  next = 1
  async collect(emit: Parameters<MetricSource['collect']>[0]) {
    emit('test.seq', this.next++, 'GAUGE', { src: 'seq' })
  }
}

let nats: TestNats
let dir: TempDir
let nc: NatsConnection
let agent: Agent
const source = new SequenceSource()

/** The real config loader with the test's settings: what a deployment would give the agent. */
const config = (spoolDir: string): AgentConfig =>
  loadAgentConfig({
    AGENT_HOSTNAME: 'agent-test',
    AGENT_STEP: '1',
    AGENT_HTTP_PORT: '0',
    AGENT_PUSH_MAX_PENDING: '1000',
    AGENT_SPOOL_DIR: spoolDir,
  })

function values(batches: MetricBatch[], metric: string): number[] {
  const out: number[] = []
  for (const b of batches)
    b.refs.forEach((ref, i) => {
      if (splitSeriesKey(b.series[ref] ?? '')?.metric === metric) out.push(b.values[i] as number)
    })
  return out
}

beforeAll(async () => {
  nats = await startTestNats({ agentHost: 'agent-test' })
  dir = await tempDir()
  nc = await connect({ ...nats.connectOptions('service'), maxReconnectAttempts: -1, reconnectTimeWait: 200 })
  await ensureMetricsStream(await nc.jetstreamManager())
  const agentNc = await connect({
    ...nats.connectOptions('agent'),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  })
  agent = await startAgent(config(join(dir.path, 'spool')), {
    nc: agentNc,
    log: createLogger('agent', 'silent'),
    sources: [source],
  })
})

afterAll(async () => {
  await agent?.stop()
  await nc?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('agent', () => {
  it('publishes one batch per cycle with its own metrics', async () => {
    await waitFor(async () => values(await metricsStreamBatches(nc), 'test.seq').length >= 2)
    const batches = await metricsStreamBatches(nc)
    const metricOf = (key: string) => splitSeriesKey(key)?.metric
    const cycle = batches.find((b) => b.series.some((s) => metricOf(s) === 'test.seq'))!
    expect(cycle.source).toEqual({ host: 'agent-test', agent: expect.any(String) })
    expect(cycle.series.map(metricOf).sort()).toEqual(
      [
        'agent.alive',
        ...Array(3).fill('agent.dropped.points'),
        'agent.durable',
        'agent.process.cpu.seconds',
        'agent.process.rss.bytes',
        'agent.spool.bytes',
        'agent.spool.dropped.points',
        'test.seq',
      ].sort(),
    )
    expect(cycle.series.find((s) => metricOf(s) === 'test.seq')).toBe(
      'agent-test\ttest.seq\tsrc=seq\tGAUGE\t1',
    )
  })

  it('answers an Open-Falcon push per point and sends the good points', async () => {
    const ts = Math.floor(Date.now() / 1000)
    const body = [
      {
        endpoint: 'app-1',
        metric: 'app.qps',
        timestamp: ts,
        step: 60,
        value: 42,
        counterType: 'GAUGE',
        tags: 'svc=api',
      },
      { endpoint: 'app-1', metric: '', timestamp: ts, step: 60, value: 1, counterType: 'GAUGE', tags: '' },
    ]
    const res = await fetch(`http://127.0.0.1:${agent.port}/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      accepted: 1,
      rejected: 1,
      errors: [{ index: 1, field: 'metric', error: 'metric is empty' }],
    })
    await waitFor(async () => values(await metricsStreamBatches(nc), 'app.qps').length === 1)
    const pushed = (await metricsStreamBatches(nc)).find((b) =>
      b.series.some((s) => splitSeriesKey(s)?.metric === 'app.qps'),
    )!
    expect(pushed.series).toEqual([`app-1\tapp.qps\t${tagsFromRecord({ svc: 'api' })}\tGAUGE\t60`])
    expect(pushed.ts).toEqual([ts - (ts % 60)])

    const plain = await fetch(`http://127.0.0.1:${agent.port}/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify([{ ...body[0], metric: 'app.form' }]),
    })
    expect(plain.status, 'a form content type, as curl -d sends').toBe(200)
    const notJson = await fetch(`http://127.0.0.1:${agent.port}/v1/push`, { method: 'POST', body: '[{' })
    expect(notJson.status).toBe(400)

    const bad = await fetch(`http://127.0.0.1:${agent.port}/v1/push`, {
      method: 'POST',
      body: '{"x":1}',
      headers: { 'content-type': 'application/json' },
    })
    expect(bad.status).toBe(400)
  })

  it('serves its own metrics on /metrics, without prom-client', async () => {
    const res = await fetch(`http://127.0.0.1:${agent.port}/metrics`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    const text = await res.text()
    const value = (series: string) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(text)?.[1])
    // The push test sent 2 good points, 1 bad one and a body that is no array; two cycles ran.
    expect(value('peregrine_agent_push_accepted_total')).toBe(2)
    expect(value('peregrine_agent_push_rejected_total')).toBe(2)
    expect(value('peregrine_agent_cycles_total')).toBeGreaterThanOrEqual(2)
    expect(value('peregrine_agent_points_total')).toBeGreaterThanOrEqual(2 * 10)
    expect(value('peregrine_agent_durable')).toBe(1)
    expect(value('peregrine_agent_spool_batches')).toBe(0)
    expect(value('peregrine_agent_dropped_points{reason="refused"}')).toBe(0)
    expect(text).toContain('# TYPE peregrine_agent_cycles_total counter\n')
  })

  it('spools while NATS is down and resends in order, losing nothing, once it is back', async () => {
    const health = async () =>
      (await (await fetch(`http://127.0.0.1:${agent.port}/healthz`)).json()) as { spooledBatches: number }
    await nats.stop()
    await waitFor(async () => (await health()).spooledBatches >= 3, 30_000, 'batches in the spool')
    const seqAtRestart = source.next
    await nats.restart()
    await waitFor(async () => (await health()).spooledBatches === 0, 30_000, 'the spool to drain')
    await waitFor(
      async () => values(await metricsStreamBatches(nc), 'test.seq').includes(seqAtRestart),
      30_000,
      'new cycles',
    )
    const seqs = values(await metricsStreamBatches(nc), 'test.seq')
    const expected = Array.from({ length: seqs.length }, (_, i) => i + 1)
    expect(seqs).toEqual(expected)
  }, 90_000)
})
