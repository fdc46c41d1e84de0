import {
  BatchBuilder,
  createLogger,
  createRegistry,
  encodeBatch,
  type MetricBatch,
  metricsSubject,
} from '@peregrine/common'
import {
  LostReplyStore,
  openTestStore,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type JetStreamClient, type NatsConnection } from 'nats'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type Collector, loadCollectorConfig, startCollector } from '../src/index.ts'

const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
/** The real config loader with small, quick batches. */
const settings = loadCollectorConfig({
  COLLECTOR_BATCH_POINTS: '5000',
  COLLECTOR_BATCH_WAIT_MS: '100',
  COLLECTOR_ROLLUP_INTERVAL_MS: '200',
})

/** Two days ago, on the hour: in the past, within retention, and whole rollup buckets. */
const PAST = Math.floor(Date.now() / 1000 / 3600) * 3600 - 48 * 3600
let nats: TestNats
let dir: TempDir
let store: LostReplyStore
let nc: NatsConnection
let js: JetStreamClient
let registry: ReturnType<typeof createRegistry>
let collector: Collector

const count = async (q: string) => Number((await store.query<{ n: string }>({ query: q, params: {} }))[0]?.n)
/** Waits until the roller has rolled what `q` counts to `n` (it rolls every 200 ms here). */
const rolled = (q: string, n: number) => waitFor(async () => (await count(q)) === n, 10_000, q)
const metricValue = async (name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0

function hostBatch(host: string, t0: number, cycles: number, metrics = 20): MetricBatch {
  const b = new BatchBuilder({ host, agent: 'test' })
  for (let c = 0; c < cycles; c++)
    for (let m = 0; m < metrics; m++)
      b.add(
        { endpoint: host, metric: `m.${m}`, tags: `k=${m % 3}`, counterType: 'GAUGE', step: 10 },
        t0 + c * 10,
        c + m,
      )
  return b.take()
}

/**
 * Publishes, with `client`, a batch of `endpoint` that holds two good points and one bad point per
 * validated field, and expects the good ones stored and each bad one counted under its field.
 */
async function rejectsBadPoints(client: JetStreamClient, subjectHost: string, endpoint: string) {
  const batch: MetricBatch = {
    v: 1,
    source: { host: endpoint, agent: 'test' },
    series: [
      `${endpoint}\tok.metric\t\tGAUGE\t10`,
      `${endpoint}\t\t\tGAUGE\t10`,
      `${endpoint}\tbad.type\t\tABSOLUTE\t10`,
      `${endpoint}\tbad.step\t\tGAUGE\t0`,
      `${endpoint}\tbad.tags\toops\tGAUGE\t10`,
      `${endpoint}\ttoo\tmany\tfields\tGAUGE\t10`,
    ],
    refs: [0, 0, 1, 2, 3, 4, 0, 9, 5],
    ts: [PAST, PAST + 10, 1, 1, 1, 1, PAST + 20, 1, 1],
    values: [1, null, 1, 1, 1, 1, 3, 1, 1],
  }
  const fields = ['value', 'metric', 'counterType', 'step', 'tags', 'refs', 'series']
  // Sums taken at once: prom-client hands out its live label values, which later increments change.
  const rejected = async () => {
    const v = await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get()
    const sum = (field: string) =>
      v?.values.filter((x) => x.labels.field === field).reduce((a, x) => a + x.value, 0) ?? 0
    return new Map(fields.map((f) => [f, sum(f)]))
  }
  const before = await rejected()
  await client.publish(metricsSubject(subjectHost), encodeBatch(batch))
  await waitFor(async () => (await count('SELECT count() AS n FROM samples')) === 2, 10_000, 'good points')
  const after = await rejected()
  for (const field of fields) expect(after.get(field)! - before.get(field)!, field).toBe(1)
}

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  store = new LostReplyStore(await openTestStore(dir.path), 'samples')
  nc = await connect(nats.connectOptions('service'))
  js = nc.jetstream()
  registry = createRegistry()
  collector = await startCollector(settings, { nc, store, log, registry })
})

afterAll(async () => {
  await collector?.stop()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

beforeEach(async () => {
  // The roller may still be rolling what the last test wrote: its rolls would land in the emptied
  // rollups. A turn marks its ranges rolled last, so none left pending means none under way.
  const pending = 'SELECT count() AS n FROM rollup_dirty FINAL WHERE deleted = 0'
  await waitFor(async () => (await count(pending)) === 0, 20_000, 'the roller done with the last test')
  for (const t of ['samples', 'rollups_1m', 'rollups_1h', 'rollup_dirty', 'series', 'endpoints'])
    await store.command(`TRUNCATE TABLE ${t}`)
})

describe('collector', () => {
  it('stores every point of every batch, with series, endpoints and rollups', async () => {
    const t0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 7200
    for (let h = 0; h < 5; h++)
      await js.publish(metricsSubject(`host-${h}`), encodeBatch(hostBatch(`host-${h}`, t0, 30)))
    await waitFor(
      async () => (await count('SELECT count() AS n FROM samples')) === 5 * 30 * 20,
      20_000,
      'points',
    )
    expect(await count('SELECT count() AS n FROM series FINAL')).toBe(100)
    expect(await count('SELECT count() AS n FROM endpoints FINAL')).toBe(5)
    await rolled('SELECT sum(count) AS n FROM rollups_1m FINAL', 3000)
    await rolled('SELECT sum(count) AS n FROM rollups_1h FINAL', 3000)
    // A GAUGE's rollups keep min, max and sum (its last value only a COUNTER's, for rates).
    const [row] = await store.query<{ min: number; max: number; sum: number }>({
      query: `SELECT min(min) AS min, max(max) AS max, sum(sum) AS sum FROM rollups_1h FINAL
              WHERE fp = (SELECT fp FROM series FINAL WHERE endpoint = 'host-1' AND metric = 'm.4')`,
      params: {},
    })
    expect(row).toEqual({ min: 4, max: 33, sum: (4 + 33) * 15 })
  })

  it('terminates a message that is not a batch, counts it, and goes on with the next', async () => {
    const before = await metricValue('peregrine_collector_messages_rejected_total')
    await js.publish(metricsSubject('bad'), Buffer.from('not json at all'))
    await js.publish(metricsSubject('good'), encodeBatch(hostBatch('good', PAST, 1, 5)))
    await waitFor(async () => (await count('SELECT count() AS n FROM samples')) === 5, 10_000, 'good points')
    expect(await metricValue('peregrine_collector_messages_rejected_total')).toBe(before + 1)
    const jsm = await nc.jetstreamManager()
    await waitFor(
      async () => (await jsm.consumers.info('PEREGRINE_METRICS', 'collector')).num_ack_pending === 0,
    )
  })

  it('rejects bad points one by one, by field, and keeps the good ones', () =>
    rejectsBadPoints(js, 'mixed', 'mixed'))

  it('handles a forged batch published with an agent credential like any other', async () => {
    // The batch names another host than the one whose subject the credential may publish to.
    const agentNc = await connect(nats.connectOptions('agent'))
    try {
      await rejectsBadPoints(agentNc.jetstream(), nats.agentHost, 'victim')
      expect(
        await count(
          "SELECT count() AS n FROM samples WHERE fp IN (SELECT fp FROM series WHERE endpoint = 'victim')",
        ),
      ).toBe(2)
    } finally {
      await agentNc.close()
    }
  })

  it('does not count points twice when a write is retried after it was in fact stored', async () => {
    store.failures = 1
    await js.publish(metricsSubject('retry'), encodeBatch(hostBatch('retry', PAST + 3600, 6, 10)))
    await waitFor(() => store.failures === 0, 10_000, 'the injected failure')
    await rolled('SELECT sum(count) AS n FROM rollups_1m FINAL', 60)
    await rolled('SELECT sum(sum) AS n FROM rollups_1h FINAL', 10 * (0 + 1 + 2 + 3 + 4 + 5) + 6 * 45)
    expect(await count('SELECT count() AS n FROM samples FINAL')).toBe(60)
    // The retried write stored the points twice; the rollups count each once.
    expect(await count('SELECT count() AS n FROM samples')).toBe(120)
  })
})

describe('batches that once stopped the line', () => {
  const series = (endpoint: string, metric = 'm', step = 10) =>
    ({ endpoint, metric, tags: '', counterType: 'GAUGE', step }) as const

  it('stores points spanning more than 100 days, in one message or across messages of one write', async () => {
    const day = 86_400
    const old = new BatchBuilder({ host: 'backfill', agent: 'test' })
    for (let d = 0; d <= 120; d++) old.add(series('backfill', 'm', 60), PAST - d * day, d)
    const recent = new BatchBuilder({ host: 'backfill', agent: 'test' })
    recent.add(series('backfill', 'm', 60), PAST + 3600, 1000)
    await js.publish(metricsSubject('backfill'), encodeBatch(recent.take()))
    await js.publish(metricsSubject('backfill'), encodeBatch(old.take()))
    // Hourly rollups are kept two years, so none of these rows is dropped by a TTL meanwhile.
    await waitFor(
      async () => (await count('SELECT sum(count) AS n FROM rollups_1h FINAL')) === 122,
      20_000,
      'every point, in rollups',
    )
    // Raw points older than the 30-day retention may already be dropped; younger ones are all there.
    const since = Math.floor(Date.now() / 1000) - 25 * day
    const young = 1 + [...Array(121).keys()].filter((d) => PAST - d * day >= since).length
    expect(await count(`SELECT count() AS n FROM samples WHERE ts >= ${since}`)).toBe(young)
  })

  it('rejects only the series with an over-long endpoint; the rest of the message is stored', async () => {
    const before = await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get()
    const endpointRejects = (v: typeof before) =>
      v?.values.filter((x) => x.labels.field === 'endpoint').reduce((a, x) => a + x.value, 0) ?? 0
    const batch: MetricBatch = {
      v: 1,
      source: { host: 'mixed', agent: 'test' },
      series: [
        `${'e'.repeat(3000)}\tm\t\tGAUGE\t10`,
        `${'e'.repeat(256)}\tm\t\tGAUGE\t10`,
        'fine\tm\t\tGAUGE\t10',
      ],
      refs: [0, 1, 2, 2],
      ts: [PAST, PAST, PAST, PAST + 10],
      values: [1, 2, 3, 4],
    }
    await js.publish(metricsSubject('mixed'), encodeBatch(batch))
    await waitFor(async () => (await count('SELECT count() AS n FROM samples')) === 2, 10_000, 'good points')
    const after = await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get()
    expect(endpointRejects(after) - endpointRejects(before)).toBe(2)
  })

  it('refuses, and counts, points older than the longest retention instead of storing them to be dropped', async () => {
    const timestampRejects = async () =>
      (await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get())?.values
        .filter((x) => x.labels.field === 'timestamp')
        .reduce((a, x) => a + x.value, 0) ?? 0
    const before = await timestampRejects()
    const b = new BatchBuilder({ host: 'ancient', agent: 'test' })
    b.add(series('ancient'), PAST - 731 * 86_400, 1)
    b.add(series('ancient'), PAST, 2)
    await js.publish(metricsSubject('ancient'), encodeBatch(b.take()))
    await waitFor(async () => (await timestampRejects()) === before + 1, 10_000, 'the refusal')
    await waitFor(
      async () => (await count('SELECT count() AS n FROM samples')) === 1,
      10_000,
      'the young point',
    )
    await rolled('SELECT sum(count) AS n FROM rollups_1h FINAL', 1)
  })

  it('stores a message of 60,000 series', async () => {
    const b = new BatchBuilder({ host: 'wide', agent: 'test' })
    for (let i = 0; i < 60_000; i++) b.add(series('wide', `m.${i}`), PAST, i)
    await js.publish(metricsSubject('wide'), encodeBatch(b.take()))
    await waitFor(
      async () => (await count('SELECT count() AS n FROM samples')) === 60_000,
      30_000,
      'all points',
    )
    expect(await count('SELECT count() AS n FROM series FINAL')).toBe(60_000)
  })
})

describe('a series keeps the counterType and step it was first stored with', () => {
  const rejects = async (field: string) =>
    (await registry.getSingleMetric('peregrine_collector_points_rejected_total')?.get())?.values
      .filter((x) => x.labels.field === field)
      .reduce((a, x) => a + x.value, 0) ?? 0
  const definitions = (endpoint: string) =>
    store.query<{ counter_type: string; step: number; n: string }>({
      query: `SELECT counter_type, step, toString(count()) AS n FROM series FINAL
              WHERE endpoint = {e:String} GROUP BY counter_type, step`,
      params: { e: endpoint },
    })
  const points = (endpoint: string) =>
    count(
      `SELECT count() AS n FROM samples WHERE fp IN (SELECT fp FROM series WHERE endpoint = '${endpoint}')`,
    )

  it('refuses other definitions in the first write, in later ones and after a restart; the first keeps all its points', async () => {
    const [typeBefore, stepBefore] = [await rejects('counterType'), await rejects('step')]
    // One message: the series as GAUGE/10 first, then as COUNTER and with step 60; tags in
    // another order name the same series with the same definition and are welcome.
    const first: MetricBatch = {
      v: 1,
      source: { host: 'redef', agent: 'test' },
      series: [
        'redef\tm\ta=1,b=2\tGAUGE\t10',
        'redef\tm\ta=1,b=2\tCOUNTER\t10',
        'redef\tm\tb=2,a=1\tGAUGE\t10',
        'redef\tm\ta=1,b=2\tGAUGE\t60',
      ],
      refs: [0, 1, 2, 3, 0],
      ts: [PAST, PAST + 10, PAST + 20, PAST + 60, PAST + 30],
      values: [1, 2, 3, 4, 5],
    }
    await js.publish(metricsSubject('redef'), encodeBatch(first))
    await waitFor(async () => (await points('redef')) === 3, 10_000, 'the GAUGE points')
    await waitFor(async () => (await rejects('step')) === stepBefore + 1, 10_000, 'the step refusal')
    expect(await rejects('counterType')).toBe(typeBefore + 1)

    const later = (type: string, step: number, ts: number) => {
      const b = new BatchBuilder({ host: 'redef', agent: 'test' })
      b.add({ endpoint: 'redef', metric: 'm', tags: 'a=1,b=2', counterType: type as 'GAUGE', step }, ts, 9)
      return encodeBatch(b.take())
    }
    await js.publish(metricsSubject('redef'), later('COUNTER', 10, PAST + 100))
    await js.publish(metricsSubject('redef'), later('GAUGE', 10, PAST + 110))
    await waitFor(async () => (await points('redef')) === 4, 10_000, 'the later GAUGE point')
    await waitFor(async () => (await rejects('counterType')) === typeBefore + 2, 10_000, 'the later refusal')

    // A restarted collector knows nothing: it asks storage.
    await collector.stop()
    registry = createRegistry()
    collector = await startCollector(settings, { nc, store, log, registry })
    await js.publish(metricsSubject('redef'), later('DERIVE', 10, PAST + 120))
    await js.publish(metricsSubject('redef'), later('GAUGE', 10, PAST + 130))
    await waitFor(async () => (await points('redef')) === 5, 10_000, 'the GAUGE point after the restart')
    await waitFor(async () => (await rejects('counterType')) === 1, 10_000, 'refused after the restart')
    expect(await definitions('redef')).toEqual([{ counter_type: 'GAUGE', step: 10, n: '1' }])
  })
})
