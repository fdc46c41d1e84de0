import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { type Agent, type AgentConfig, loadAgentConfig, startAgent } from '@peregrine/agent'
import {
  AGENTS_BUCKET,
  agentChecksKey,
  ConfigStore,
  createLogger,
  ensureMetricsStream,
  METRICS_STREAM,
  MetricBatchReader,
  splitSeriesKey,
} from '@peregrine/common'
import { startTestNats, type TempDir, type TestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { type AgentChecksSync, startAgentChecksSync } from '@peregrine/dashboard'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const HOST = 'checks-host'
const log = createLogger('checks-test', 'silent')

let nats: TestNats
let dir: TempDir
let nc: NatsConnection
let agentNc: NatsConnection
let config: ConfigStore
let sync: AgentChecksSync
let agent: Agent
let listener: Server
let port: number
/** Stream sequence up to which batches were read: each look reads only the new ones. */
let readSeq = 0
let reader: MetricBatchReader | undefined

interface Cycle {
  seq: number
  /** `metric tags` → value */
  values: Map<string, number>
}
const cycles: Cycle[] = []

/** Reads the batches published since the last call into `cycles`. */
async function readCycles(): Promise<Cycle[]> {
  const jsm = await nc.jetstreamManager()
  const info = await jsm.streams.info(METRICS_STREAM)
  for (let seq = Math.max(readSeq + 1, info.state.first_seq); seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(METRICS_STREAM, { seq }).catch(() => null)
    readSeq = seq
    if (!m) continue
    reader ??= new MetricBatchReader(nc)
    const d = await reader.read(m.data, m.subject)
    if (!d.ok || d.batch.source.host !== HOST) continue
    const values = new Map<string, number>()
    d.batch.refs.forEach((ref, i) => {
      const s = splitSeriesKey(d.batch.series[ref] ?? '')
      if (s) values.set(`${s.metric} ${s.tags}`, d.batch.values[i] as number)
    })
    if (values.has('agent.alive ')) cycles.push({ seq, values })
  }
  return cycles
}

/** The collection cycles published after stream sequence `after`. */
async function cyclesAfter(after: number): Promise<Cycle[]> {
  return (await readCycles()).filter((c) => c.seq > after)
}

async function lastSeq(): Promise<number> {
  const jsm = await nc.jetstreamManager()
  return (await jsm.streams.info(METRICS_STREAM)).state.last_seq
}

/** The real config loader with the test's settings: what a deployment would give the agent. */
const agentConfig = (spoolDir: string): AgentConfig =>
  loadAgentConfig({
    AGENT_HOSTNAME: HOST,
    AGENT_STEP: '1',
    AGENT_HTTP_PORT: '0',
    AGENT_PUSH_FLUSH_MS: '100',
    AGENT_PUSH_MAX_PENDING: '1000',
    AGENT_SPOOL_DIR: spoolDir,
  })

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  dir = await tempDir()
  const opts = { maxReconnectAttempts: -1, reconnectTimeWait: 200 }
  nc = await connect({ ...nats.connectOptions('service'), ...opts })
  agentNc = await connect({ ...nats.connectOptions('agent'), ...opts })
  await ensureMetricsStream(await nc.jetstreamManager())
  config = await ConfigStore.open(nc)

  listener = createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  port = (listener.address() as { port: number }).port

  await config.saveTree(
    { nodes: [{ id: 'n-web', parent: null, name: 'web', owners: [], note: '', excludes: [], version: 1 }] },
    0,
  )
  await config.hosts.create(HOST, { host: HOST, nodes: ['n-web'] })
  await config.strategies.create('s-port', {
    id: 's-port',
    node: 'n-web',
    name: 'port-up',
    metric: 'net.port.listen',
    tags: `port=${port}`,
    fn: 'all',
    window: '#3',
    operator: '==',
    threshold: 0,
  })
  await config.strategies.create('s-proc', {
    id: 's-proc',
    node: 'n-web',
    name: 'node-runs',
    metric: 'proc.num',
    tags: 'name=node',
    fn: 'all',
    window: '#3',
    operator: '<',
    threshold: 1,
  })

  sync = await startAgentChecksSync(config, log, { nc })
  agent = await startAgent(agentConfig(join(dir.path, 'spool')), {
    nc: agentNc,
    log: createLogger('agent', 'silent'),
    sources: [],
  })
})

afterAll(async () => {
  await agent?.stop()
  await sync?.stop()
  await agentNc?.close()
  await nc?.close()
  await new Promise((resolve) => listener?.close(resolve))
  await nats?.dispose()
  await dir?.remove()
})

describe('checks asked for by strategies', () => {
  const portKey = () => `net.port.listen port=${port}`

  it('writes the host checks at start', async () => {
    expect((await config.agentChecks.get(HOST))?.value).toEqual({
      ports: [port],
      processes: [{ name: 'node' }],
    })
  })

  it('reports the port the test listens on and the node processes', async () => {
    const cycle = await waitFor(
      async () => (await readCycles()).find((c) => c.values.get(portKey()) === 1),
      10_000,
      'net.port.listen = 1',
    )
    expect(cycle.values.get('proc.num name=node')).toBeGreaterThanOrEqual(1)
    // sources: [] — only the checks and the agent's own metrics.
    expect([...cycle.values.keys()].sort()).toEqual(
      [
        'agent.alive ',
        'agent.dropped.points reason=not-stored',
        'agent.dropped.points reason=refused',
        'agent.dropped.points reason=unreadable',
        'agent.durable ',
        'agent.process.cpu.seconds ',
        'agent.process.rss.bytes ',
        'agent.spool.bytes ',
        'agent.spool.dropped.points ',
        portKey(),
        'proc.num name=node',
      ].sort(),
    )
  })

  it('reports 0 once nothing listens on the port', async () => {
    await new Promise((resolve) => listener.close(resolve))
    const after = await lastSeq()
    await waitFor(
      async () => (await cyclesAfter(after)).some((c) => c.values.get(portKey()) === 0),
      10_000,
      'net.port.listen = 0',
    )
  })

  it('ignores an invalid checks document and keeps the checks it has', async () => {
    const kv = await nc.jetstream().views.kv(AGENTS_BUCKET)
    await kv.put(agentChecksKey(HOST), JSON.stringify({ ports: 'all' }))
    const after = await lastSeq()
    const later = await waitFor(
      async () => {
        const c = await cyclesAfter(after)
        return c.length >= 3 ? c : null
      },
      10_000,
      'three cycles',
    )
    for (const c of later) expect(c.values.get(portKey())).toBe(0)
  })

  it('follows the checks across a NATS restart and stops checking a port whose strategy is gone', async () => {
    await nats.stop()
    await nats.restart()
    await waitFor(async () => Boolean(await config.tree()), 20_000, 'NATS back')
    const strategy = await config.strategies.get('s-port')
    await config.strategies.delete('s-port', strategy!.revision)
    // The sync replaces the invalid document (a pass after the reconnect may first write it back
    // with the port, if it runs before the delete) with the remaining process check.
    const wanted = JSON.stringify({ ports: [], processes: [{ name: 'node' }] })
    await waitFor(
      async () => JSON.stringify((await config.agentChecks.get(HOST).catch(() => null))?.value) === wanted,
      10_000,
      'the checks rewritten',
    )
    const after = await lastSeq()
    // Within a couple of steps: two cycles in a row without the port, still with the process.
    const last = await waitFor(
      async () => {
        const c = await cyclesAfter(after)
        const tail = c.slice(-2)
        return tail.length === 2 && tail.every((x) => !x.values.has(portKey())) ? tail : null
      },
      10_000,
      'cycles without the port',
    )
    for (const c of last) expect(c.values.get('proc.num name=node')).toBeGreaterThanOrEqual(1)
  }, 60_000)

  it('deletes the document of a host left with nothing to check', async () => {
    const strategy = await config.strategies.get('s-proc')
    await config.strategies.delete('s-proc', strategy!.revision)
    await waitFor(async () => (await config.agentChecks.get(HOST)) === null, 10_000, 'the document deleted')
    expect(await config.agentChecks.ids()).toEqual([])
    const after = await lastSeq()
    const later = await waitFor(
      async () => {
        const c = await cyclesAfter(after)
        return c.length >= 2 ? c.slice(1) : null
      },
      10_000,
      'cycles',
    )
    for (const c of later) expect([...c.values.keys()].some((k) => k.startsWith('proc.num'))).toBe(false)
  })
})
