// Batch format v2 end to end: a real agent publishes through a real nats-server (its own
// credential) to a real collector. Series travel as ids of the agent's dictionary: a collector
// that never saw their definitions looks them up in the series bucket, a spooled message carries
// its own, and what cannot be resolved is counted, never stuck.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type Agent, loadAgentConfig, startAgent } from '@peregrine/agent'
import { type Collector, loadCollectorConfig, startCollector } from '@peregrine/collector'
import {
  BatchBuilder,
  BatchDecoder,
  COLLECTOR_CONSUMER,
  createLogger,
  createRegistry,
  encodeWire,
  ensureMetricsStream,
  fingerprint,
  METRICS_STREAM,
  MetricBatchReader,
  metricsSubject,
  openSeriesBucket,
  seriesDefinitionsKey,
  subjectToken,
  type WireBatch,
} from '@peregrine/common'
import {
  openTestStore,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const HOST = 'wire-host'
const WIDE = 100
const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
const settings = loadCollectorConfig({ COLLECTOR_BATCH_POINTS: '2000', COLLECTOR_BATCH_WAIT_MS: '100' })

let nats: TestNats
let dir: TempDir
let store: Awaited<ReturnType<typeof openTestStore>>
let nc: NatsConnection
let agent: Agent
let collector: Collector | undefined
let registry: ReturnType<typeof createRegistry>
let next = 1

const spoolDir = () => join(dir.path, 'spool')
const count = async (q: string) => Number((await store.query<{ n: string }>({ query: q, params: {} }))[0]?.n)
const rejected = async (field: string) =>
  (await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get())?.values
    .filter((v) => v.labels.field === field)
    .reduce((a, v) => a + v.value, 0) ?? 0
const counter = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0

const seqFp = fingerprint({ endpoint: HOST, metric: 'test.seq', tags: '' })
/** The test.seq values stored in ClickHouse. */
async function storedSeq(): Promise<number[]> {
  const rows = await store.query<{ v: number }>({
    query: 'SELECT value AS v FROM samples WHERE fp = {fp:UInt64} ORDER BY v',
    params: { fp: seqFp },
  })
  return rows.map((r) => Number(r.v))
}

/** The test.seq values of batches read through `reader`. */
async function seqValues(reader: MetricBatchReader, messages: { data: Uint8Array; subject?: string }[]) {
  const out: number[] = []
  for (const m of messages) {
    const d = await reader.read(m.data, m.subject)
    if (!d.ok) throw new Error(d.error)
    d.batch.refs.forEach((ref, i) => {
      if (d.batch.series[ref]!.includes('\ttest.seq\t')) out.push(d.batch.values[i] as number)
    })
  }
  return out
}

function wire(data: Uint8Array): WireBatch {
  const d = new BatchDecoder().decode(data)
  if (!d.ok || d.v !== 2) throw new Error(d.ok ? 'a v1 batch' : d.error)
  return d.batch
}

/** The agent's messages in the stream, with their sequence. */
async function hostMessages() {
  const jsm = await nc.jetstreamManager()
  const { state } = await jsm.streams.info(METRICS_STREAM)
  const out: { seq: number; subject: string; data: Uint8Array; msgId: string }[] = []
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(METRICS_STREAM, { seq }).catch(() => null)
    if (m?.subject === metricsSubject(HOST))
      out.push({ seq, subject: m.subject, data: m.data, msgId: m.header?.get('Nats-Msg-Id') ?? '' })
  }
  return out
}

async function startFresh(): Promise<void> {
  registry = createRegistry()
  collector = await startCollector(settings, { nc, store, log, registry })
}

async function stopCollector(): Promise<void> {
  await collector?.stop()
  collector = undefined
}

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  dir = await tempDir()
  store = await openTestStore(dir.path)
  nc = await connect({ ...nats.connectOptions('service'), maxReconnectAttempts: -1, reconnectTimeWait: 200 })
  await ensureMetricsStream(await nc.jetstreamManager())
  const agentNc = await connect({
    ...nats.connectOptions('agent'),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  })
  agent = await startAgent(
    loadAgentConfig({
      AGENT_HOSTNAME: HOST,
      AGENT_STEP: '1',
      AGENT_HTTP_PORT: '0',
      AGENT_SPOOL_DIR: spoolDir(),
    }),
    {
      nc: agentNc,
      log: createLogger('agent', 'silent'),
      // A sequence that tells cycles apart, and enough series to fill more than one stored chunk.
      sources: [
        {
          name: 'test',
          async collect(emit) {
            emit('test.seq', next++, 'GAUGE')
            for (let i = 0; i < WIDE; i++) emit('test.wide', i, 'GAUGE', { i: String(i) })
          },
        },
      ],
    },
  )
})

afterAll(async () => {
  await agent?.stop()
  await stopCollector()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('batch format v2 from a real agent', () => {
  it('is resolved from the series bucket by a collector that never saw the definitions', async () => {
    // The agent runs alone: its first message defines its series, later ones only name ids.
    const messages = await waitFor(
      async () => {
        const all = await hostMessages()
        return all.filter((m) => wire(m.data).defIds.length === 0).length >= 3 ? all : null
      },
      20_000,
      'messages without definitions',
    )
    const withDefinitions = messages.filter((m) => wire(m.data).defIds.length > 0)
    expect(withDefinitions.length).toBeGreaterThan(0)
    expect(wire(withDefinitions[0]!.data).defIds.length).toBeGreaterThan(WIDE)
    // Gone from the stream: whoever reads it now knows the ids only from the bucket.
    const jsm = await nc.jetstreamManager()
    for (const m of withDefinitions) await jsm.streams.deleteMessage(METRICS_STREAM, m.seq)
    const rest = messages.filter((m) => !withDefinitions.includes(m))
    const expected = await seqValues(new MetricBatchReader(nc), rest)
    expect(expected.length).toBeGreaterThanOrEqual(3)

    await startFresh()
    await waitFor(
      async () => {
        const stored = await storedSeq()
        return expected.every((v) => stored.includes(v))
      },
      20_000,
      'the points of messages without definitions',
    )
    expect(await storedSeq()).toEqual(expect.arrayContaining(expected))
    expect(await rejected('refs')).toBe(0)
    expect(
      await count(
        `SELECT count() AS n FROM series FINAL WHERE endpoint = '${HOST}' AND metric = 'test.wide'`,
      ),
    ).toBe(WIDE)
  })

  it('sends a spooled message with its definitions, and a fresh collector stores it after the outage', async () => {
    await stopCollector()
    const before = (await hostMessages()).at(-1)!.seq
    await nats.stop()
    const files = await waitFor(
      async () => {
        const f = (await readdir(spoolDir())).filter((n) => n.endsWith('.batch'))
        return f.length >= 2 ? f : null
      },
      20_000,
      'batches in the spool',
    )
    const spooled = await Promise.all(files.map(async (f) => ({ data: await readFile(join(spoolDir(), f)) })))
    for (const { data } of spooled) {
      const w = wire(data)
      expect(new Set(w.refs)).toEqual(new Set(w.defIds))
    }
    // Read with no dictionary and no bucket at all: each is self-contained.
    const values = await seqValues(new MetricBatchReader(null), spooled)
    expect(values.length).toBe(spooled.length)

    await nats.restart()
    await waitFor(
      async () => (await nc.jetstreamManager()).streams.info(METRICS_STREAM),
      20_000,
      'JetStream back',
    )
    await startFresh()
    await waitFor(
      async () => {
        const stored = await storedSeq()
        return values.every((v) => stored.includes(v))
      },
      30_000,
      'the spooled points stored',
    )
    expect(await rejected('refs')).toBe(0)

    // The server may be another one, or have lost the bucket: the first message sent straight
    // after the reconnection defines its series again.
    const spooledIds = new Set(files.map((f) => f.split('_')[2]!.replace(/(\.ack)?\.batch$/, '')))
    const direct = await waitFor(
      async () => {
        const after = (await hostMessages()).filter((m) => m.seq > before && !spooledIds.has(m.msgId))
        return after.length >= 2 ? after : null
      },
      20_000,
      'messages sent after the reconnection',
    )
    expect(wire(direct[0]!.data).defIds.length).toBeGreaterThan(WIDE)
  })

  it('counts points of ids nobody defined as refused (refs), and takes the message off the stream', async () => {
    const host = 'never-defined'
    const b = new BatchBuilder({ host, agent: 'test' })
    for (let i = 0; i < 5; i++) b.addKey(`${host}\tm.${i}\t\tGAUGE\t10`, Math.floor(Date.now() / 1000), i)
    const js = nc.jetstream()
    const acked = async () =>
      (await (await nc.jetstreamManager()).consumers.info(METRICS_STREAM, COLLECTOR_CONSUMER)).ack_floor
        .stream_seq
    const before = await rejected('refs')
    const ack = await js.publish(metricsSubject(host), encodeWire(b.take(), 12345, [0, 1, 2, 3, 4], []))
    await waitFor(async () => (await acked()) >= ack.seq, 20_000, 'the message acknowledged')
    expect((await rejected('refs')) - before).toBe(5)

    // A value in the bucket that is not a dictionary chunk: counted the same, nothing crashes.
    const kv = await openSeriesBucket(js)
    await kv.put(seriesDefinitionsKey(subjectToken(host), 777, 0), '{"keys": "not a list"}')
    const b2 = new BatchBuilder({ host, agent: 'test' })
    b2.addKey(`${host}\tm.0\t\tGAUGE\t10`, Math.floor(Date.now() / 1000), 1)
    const ack2 = await js.publish(metricsSubject(host), encodeWire(b2.take(), 777, [0], []))
    await waitFor(async () => (await acked()) >= ack2.seq, 20_000, 'the second message acknowledged')
    expect((await rejected('refs')) - before).toBe(6)
  })

  it('terminates and counts a malformed v2 message, and goes on', async () => {
    const good = new BatchBuilder({ host: 'cut', agent: 'test' })
    good.addKey('cut\tm\t\tGAUGE\t10', Math.floor(Date.now() / 1000), 1)
    const data = encodeWire(good.take(), 1, [0], [0])
    const bad = await counter('peregrine_collector_messages_rejected_total')
    await nc.jetstream().publish(metricsSubject('cut'), data.subarray(0, data.byteLength - 3))
    await nc.jetstream().publish(metricsSubject('cut'), data)
    const fp = fingerprint({ endpoint: 'cut', metric: 'm', tags: '' })
    await waitFor(
      async () => (await count(`SELECT count() AS n FROM samples WHERE fp = ${fp}`)) === 1,
      20_000,
      'the good message stored',
    )
    expect((await counter('peregrine_collector_messages_rejected_total')) - bad).toBe(1)
  })
})
