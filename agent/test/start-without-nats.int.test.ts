import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import {
  AGENTS_BUCKET,
  agentChecksKey,
  agentInboxPrefix,
  connectNatsLater,
  createLogger,
  ensureMetricsStream,
  type LateNats,
  openConfigBuckets,
  splitSeriesKey,
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
import { type Agent, loadAgentConfig, startAgent } from '../src/index.ts'
import type { MetricSource } from '../src/sources/source.ts'

const HOST = 'late-nats'
const log = createLogger('agent', 'silent')

/** Each cycle emits the next number, so a lost, repeated or reordered cycle shows. */
class SequenceSource implements MetricSource {
  readonly name = 'sequence'
  next = 1
  async collect(emit: Parameters<MetricSource['collect']>[0]) {
    emit('test.seq', this.next++, 'GAUGE')
  }
}

let nats: TestNats
let dir: TempDir
let service: NatsConnection
let listener: Server
const started: { agent: Agent; nats: LateNats }[] = []

/** The agent as agent/src/run.ts starts it: its connection made in the background. */
async function startLateAgent(env: Record<string, string>, sources: MetricSource[]) {
  const config = loadAgentConfig({
    AGENT_HOSTNAME: HOST,
    AGENT_STEP: '1',
    AGENT_HTTP_PORT: '0',
    ...env,
  })
  const late = await connectNatsLater(config, 'peregrine-agent', log, { inboxPrefix: agentInboxPrefix(HOST) })
  const agent = await startAgent(config, { nats: late, log, sources })
  started.push({ agent, nats: late })
  return { agent, late, url: (path: string) => `http://127.0.0.1:${agent.port}${path}` }
}

/** Every value of `metric` in the stream, in stream order, with the tags it had. */
async function streamValues(metric: string): Promise<{ tags: string; value: number }[]> {
  return (await metricsStreamBatches(service)).flatMap((b) =>
    b.refs.flatMap((ref, i) => {
      const s = splitSeriesKey(b.series[ref] ?? '')
      return s?.metric === metric ? [{ tags: s.tags, value: b.values[i] as number }] : []
    }),
  )
}

let pushSeq = 0
async function push(url: (path: string) => string, n: number) {
  const values = Array.from({ length: n }, () => ++pushSeq)
  const body = values.map((value) => ({
    endpoint: 'app-1',
    metric: 'app.late',
    timestamp: 0,
    step: 10,
    value,
    counterType: 'GAUGE',
  }))
  const res = await fetch(url('/v1/push'), { method: 'POST', body: JSON.stringify(body) })
  return { status: res.status, body: await res.json() }
}

const health = async (url: (path: string) => string) => {
  const res = await fetch(url('/healthz'))
  const body = (await res.json()) as { status: string; nats: string; reason?: string; spooledBatches: number }
  return { code: res.status, ...body }
}

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  dir = await tempDir('late-nats-')
  service = await connect({
    ...nats.connectOptions('service'),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  })
  await ensureMetricsStream(await service.jetstreamManager())
  const { agents } = await openConfigBuckets(service)
  // A port this test listens on, which the host's checks document asks the agent to watch.
  listener = createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const { port } = listener.address() as { port: number }
  await agents.put(agentChecksKey(HOST), JSON.stringify({ ports: [port], processes: [] }))
  expect(AGENTS_BUCKET).toBe('peregrine-agents')
})

afterAll(async () => {
  for (const { agent, nats: late } of started) {
    await agent.stop()
    await late.stop()
  }
  listener?.close()
  await service?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('an agent started while NATS is down', () => {
  it('takes pushes and collects into its spool, then sends all of it once, in order, and follows its checks', async () => {
    await nats.stop()
    const source = new SequenceSource()
    const { url } = await startLateAgent({ ...nats.env('agent'), AGENT_SPOOL_DIR: join(dir.path, 'spool') }, [
      source,
    ])
    const down = await health(url)
    expect(down).toMatchObject({ code: 200, status: 'degraded', nats: 'unreachable' })
    expect(down.reason).toMatch(/^NATS not reached since the agent started \(.+\); points wait in the spool$/)

    for (let i = 0; i < 5; i++)
      expect(await push(url, 3)).toMatchObject({ status: 200, body: { accepted: 3 } })
    await waitFor(() => source.next > 3, 10_000, 'cycles collected while NATS is down')
    const pushedWhileDown = pushSeq

    await nats.restart()
    await waitFor(async () => (await health(url)).status === 'ok', 20_000, 'the agent to reach NATS')
    for (let i = 0; i < 2; i++) expect((await push(url, 3)).status).toBe(200)
    await waitFor(
      async () => (await streamValues('app.late')).length === pushSeq,
      20_000,
      'every pushed point in the stream',
    )
    const pushed = (await streamValues('app.late')).map((p) => p.value)
    expect(pushedWhileDown).toBe(15)
    expect(pushed).toEqual(Array.from({ length: pushSeq }, (_, i) => i + 1))
    const cycles = (await streamValues('test.seq')).map((p) => p.value)
    expect(cycles).toEqual(Array.from({ length: cycles.length }, (_, i) => i + 1))
    expect((await health(url)).spooledBatches).toBe(0)

    // Its checks document, read once NATS was reached: the listened port is reported...
    const { port } = listener.address() as { port: number }
    await waitFor(
      async () =>
        (await streamValues('net.port.listen')).some((p) => p.tags === `port=${port}` && p.value === 1),
      20_000,
      'the port of the checks document',
    )
    // ...and a change made afterwards is followed.
    const { agents } = await openConfigBuckets(service)
    await agents.put(agentChecksKey(HOST), JSON.stringify({ ports: [port, 1], processes: [] }))
    await waitFor(
      async () => (await streamValues('net.port.listen')).some((p) => p.tags === 'port=1' && p.value === 0),
      20_000,
      'the port added to the checks document',
    )
  }, 90_000)

  it('stops at once when NATS never comes', async () => {
    // A port nothing listens on: found free, then closed.
    const probe = createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const { port } = probe.address() as { port: number }
    await new Promise((resolve) => probe.close(resolve))
    const { agent, late, url } = await startLateAgent(
      {
        ...nats.env('agent'),
        NATS_URL: `nats://127.0.0.1:${port}`,
        AGENT_SPOOL_DIR: join(dir.path, 'spool-never'),
      },
      [],
    )
    expect((await push(url, 2)).status).toBe(200)
    expect(late.problem).toBeTruthy()
    started.pop()
    const t = performance.now()
    await agent.stop()
    await late.stop()
    expect(performance.now() - t).toBeLessThan(2000)
  })
})
