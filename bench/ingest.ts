// Ingest benchmark: N points of M series through NATS → collector → ClickHouse until queryable,
// against inserting the same rows straight into ClickHouse in the same run.
// Usage: npm run bench:ingest [-- --hosts 20 --metrics 500 --cycles 500]
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  loadCollectorConfig,
  POINT_COLUMNS,
  POINT_STRUCTURE,
  PointRows,
  SeriesEntry,
  startCollector,
} from '@peregrine/collector'
import {
  createLogger,
  createRegistry,
  ensureMetricsStream,
  migrate,
  natsConnectionOptions,
  nkeyClientConfig,
  Store,
  startAuthorizedNatsServer,
} from '@peregrine/common'
import { tempDir } from '@peregrine/common/testing'
import { connect } from 'nats'
import { benchShape, cycles, fingerprints } from './data.ts'
import { startFleet } from './fleet.ts'

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    metrics: { type: 'string', default: '500' },
    cycles: { type: 'string', default: '500' },
    batch: { type: 'string', default: '100000' },
  },
})
const shape = benchShape({
  hosts: Number(args.hosts),
  metricsPerHost: Number(args.metrics),
  cycles: Number(args.cycles),
})
const batchPoints = Number(args.batch)
const N = shape.hosts * shape.metricsPerHost * shape.cycles
const retention = { rawDays: 30, rollup1mDays: 180, rollup1hDays: 730 }
/** What a run writes, emptied between the runs. */
const TABLES = ['samples', 'rollups_1m', 'rollups_1h', 'rollup_dirty']

const dir = await tempDir('peregrine-bench-')
const store = Store.open({ url: '', path: join(dir.path, 'ch') })
await migrate(store, retention)
const count = async (q: string) => Number((await store.query<{ n: string }>({ query: q, params: {} }))[0]?.n)

/** The same points as RowBinary bodies of `batchPoints` rows: for the bare table (fp, ts, value). */
function bareBodies(): Buffer[] {
  const bodies: Buffer[] = []
  const fps: bigint[][] = []
  let body = Buffer.allocUnsafe(batchPoints * 20)
  let at = 0
  for (const { ts, h, host, values } of cycles(shape)) {
    fps[h] ??= fingerprints(host).map(BigInt)
    for (let i = 0; i < values.length; i++) {
      body.writeBigUInt64LE(fps[h][i]!, at)
      body.writeUInt32LE(ts, at + 8)
      body.writeDoubleLE(values[i]!, at + 12)
      at += 20
      if (at === body.length) {
        bodies.push(body)
        body = Buffer.allocUnsafe(batchPoints * 20)
        at = 0
      }
    }
  }
  if (at > 0) bodies.push(body.subarray(0, at))
  return bodies
}

/** …and for the samples table, written by the collector's own code (PointRows). */
function sampleBodies(): Buffer[] {
  const bodies: Buffer[] = []
  const entries: SeriesEntry[][] = []
  let rows = new PointRows(batchPoints)
  for (const { ts, h, host, values } of cycles(shape)) {
    if (!entries[h]) {
      const fps = fingerprints(host)
      entries[h] = host.defs.map(
        (d, i) => new SeriesEntry(fps[i]!, null, d.endpoint, d.metric, d.tags, d.counterType, d.step),
      )
    }
    for (let i = 0; i < values.length; i++) {
      rows.add(entries[h][i]!, ts, values[i]!)
      if (rows.count === batchPoints) {
        bodies.push(rows.bytes)
        rows = new PointRows(batchPoints)
      }
    }
  }
  if (rows.count > 0) bodies.push(rows.bytes)
  return bodies
}

/** Inserts the bodies made beforehand, timed alone: the fastest a direct insert goes. */
async function direct(table: 'bare' | 'samples'): Promise<number> {
  const bodies = table === 'bare' ? bareBodies() : sampleBodies()
  const [columns, structure] =
    table === 'bare'
      ? [['fp', 'ts', 'value'], 'fp UInt64, ts UInt32, value Float64']
      : [POINT_COLUMNS, POINT_STRUCTURE]
  const t = performance.now()
  for (const body of bodies) await store.insertRowBinary(table, columns, structure, body)
  return N / ((performance.now() - t) / 1000)
}

async function diskBytes(table: string): Promise<number> {
  await store.command(`OPTIMIZE TABLE ${table} FINAL`)
  return count(`SELECT sum(data_compressed_bytes) AS n FROM system.parts WHERE active AND table = '${table}'`)
}

console.log(
  `points: ${N.toLocaleString()} (${shape.hosts * shape.metricsPerHost} series, ${shape.cycles} cycles), batch ${batchPoints}`,
)

// Reference 1: a bare narrow table with the same codecs and no rollups: the fastest direct insert.
await store.command(`CREATE TABLE bare (fp UInt64 CODEC(ZSTD(1)), ts UInt32 CODEC(DoubleDelta, ZSTD(1)),
  value Float64 CODEC(Delta, ZSTD(3))) ENGINE = MergeTree ORDER BY (fp, ts)`)
const bareRate = await direct('bare')
// Reference 2: Peregrine's samples table, the collector's rows made beforehand, outside the timing.
const schemaRate = await direct('samples')
for (const t of TABLES) await store.command(`TRUNCATE TABLE ${t}`)

// End to end: the publisher process and the collector run at once.
const nats = await startAuthorizedNatsServer({ dataDir: join(dir.path, 'nats'), agentHost: 'bench' })
// The publisher stands in for a fleet of agents on one connection, which only a service
// credential allows (an agent credential publishes for one host).
const natsClient = nkeyClientConfig(nats.url, nats.credentials.service.seedFile)
const nc = await connect(await natsConnectionOptions(natsClient))
/** The collector's defaults, but for the batch size under test. */
const collectorSettings = loadCollectorConfig({ COLLECTOR_BATCH_POINTS: String(batchPoints) })
const lag = monitorEventLoopDelay({ resolution: 5 })

/**
 * Starts a collector and resolves with the seconds until all N points are inserted and queryable,
 * and until the roller has rolled them all into the 1-minute rollup.
 */
async function collectAll(since: () => number): Promise<{ stored: number; rolled: number }> {
  const registry = createRegistry()
  const collector = await startCollector(collectorSettings, {
    nc,
    store,
    log: createLogger('bench', 'warn'),
    registry,
  })
  const metric = registry.getSingleMetric('peregrine_collector_points_inserted_total')
  const inserted = async () => (await metric?.get())?.values[0]?.value ?? 0
  while ((await inserted()) < N) await sleep(20)
  while ((await count('SELECT count() AS n FROM samples')) < N) await sleep(20)
  const stored = (performance.now() - since()) / 1000
  while ((await count('SELECT sum(count) AS n FROM rollups_1m FINAL')) < N) await sleep(100)
  const rolled = (performance.now() - since()) / 1000
  await collector.stop()
  return { stored, rolled }
}

await ensureMetricsStream(await nc.jetstreamManager())
const publisher = await startFleet(natsClient, shape)
lag.enable()
const t0 = performance.now()
publisher.go()
const { stored: elapsed, rolled: rolledSeconds } = await collectAll(() => t0)
lag.disable()
const publishSeconds = await publisher.done
const wireBytes = publisher.bytes

// Drain: the same N points already waiting in the stream, read by a fresh consumer; this is the
// collector's own capacity, without the publisher competing for the two cores.
const pointsBytes = await diskBytes('samples')
const rollupBytes = (await diskBytes('rollups_1m')) + (await diskBytes('rollups_1h'))
const seriesBytes = await diskBytes('series')
for (const t of [...TABLES, 'series', 'endpoints']) await store.command(`TRUNCATE TABLE ${t}`)
await (await nc.jetstreamManager()).consumers.delete('PEREGRINE_METRICS', 'collector')
const t1 = performance.now()
const { stored: drainSeconds } = await collectAll(() => t1)
await nc.close()
await nats.stop()

const e2eRate = N / elapsed
const bareBytes = await diskBytes('bare')
const result = {
  points: N,
  series: shape.hosts * shape.metricsPerHost,
  e2ePointsPerSec: Math.round(e2eRate),
  rolledSeconds: +rolledSeconds.toFixed(2),
  publishSeconds: +publishSeconds.toFixed(2),
  drainPointsPerSec: Math.round(N / drainSeconds),
  directBarePointsPerSec: Math.round(bareRate),
  directSchemaPointsPerSec: Math.round(schemaRate),
  ratioVsBare: +(e2eRate / bareRate).toFixed(3),
  ratioVsSchema: +(e2eRate / schemaRate).toFixed(3),
  drainRatioVsBare: +(N / drainSeconds / bareRate).toFixed(3),
  drainRatioVsSchema: +(N / drainSeconds / schemaRate).toFixed(3),
  bytesPerPointRaw: +(pointsBytes / N).toFixed(3),
  bytesPerPointBare: +(bareBytes / N).toFixed(3),
  bytesPerPointWithRollupsAndSeries: +((pointsBytes + rollupBytes + seriesBytes) / N).toFixed(3),
  wireBytesPerPoint: +(wireBytes / N).toFixed(1),
  collectorLagP99Ms: +(lag.percentile(99) / 1e6).toFixed(1),
  collectorLagMaxMs: +(lag.max / 1e6).toFixed(1),
}
console.log(JSON.stringify(result, null, 2))
await store.close()
await dir.remove()
