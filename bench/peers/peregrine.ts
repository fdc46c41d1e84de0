// Peregrine's storage side of bench:peers: the collector and the dashboard on one embedded
// ClickHouse, as `peregrine all` composes them (only one process may open a chdb folder, so the
// API that answers the queries has to live beside the collector) but without the judge, alarm and
// agent, which bench:ingest leaves out too. A process of its own, so that /proc reads its CPU and
// memory apart from the benchmark's; spoken to by IPC (bench/ipc-child.ts).
// argv[2]: JSON { natsClient, dataDir, port, adminToken, batchPoints }
import { join } from 'node:path'
import { loadCollectorConfig, startCollector } from '@peregrine/collector'
import {
  createLogger,
  createRegistry,
  migrate,
  type NatsClientConfig,
  natsConnectionOptions,
  Store,
  serviceHealth,
} from '@peregrine/common'
import { loadDashboardConfig, startDashboard } from '@peregrine/dashboard'
import { connect } from 'nats'

export interface PeregrineArgs {
  natsClient: NatsClientConfig
  dataDir: string
  port: number
  adminToken: string
  batchPoints: number
}

/** Bytes of one table's active parts: column data compressed, and every file of the parts. */
export interface TableBytes {
  rows: number
  compressed: number
  onDisk: number
}

export type PeregrineRequest =
  | { cmd: 'inserted' }
  | { cmd: 'count' }
  | { cmd: 'rolled' }
  | { cmd: 'tables'; optimize: boolean }
  | { cmd: 'stop' }

const a = JSON.parse(process.argv[2] ?? '{}') as PeregrineArgs
const log = createLogger('bench-peers', process.env.LOG_LEVEL ?? 'warn')
// Every setting the default (retention included) but the batch size under test, as bench:ingest.
const collectorConfig = loadCollectorConfig({ COLLECTOR_BATCH_POINTS: String(a.batchPoints) })
const dashboardConfig = loadDashboardConfig({
  DASHBOARD_PORT: String(a.port),
  PEREGRINE_ADMIN_TOKEN: a.adminToken,
})
const store = Store.open({ url: '', path: join(a.dataDir, 'clickhouse') })
await migrate(store, {
  rawDays: collectorConfig.retentionDays,
  rollup1mDays: collectorConfig.retention1mDays,
  rollup1hDays: collectorConfig.retention1hDays,
})
const nc = await connect(await natsConnectionOptions(a.natsClient))
const registry = createRegistry()
const collector = await startCollector(collectorConfig, { nc, store, log, registry })
const dashboard = await startDashboard(dashboardConfig, {
  nc,
  store,
  log,
  registries: [registry],
  health: serviceHealth({ nc, store, collector }),
})

const one = async (query: string) =>
  Number((await store.query<{ n: string }>({ query, params: {} }))[0]?.n ?? 0)

/** The tables holding what was ingested, after merging each into its final parts when asked. */
async function tables(optimize: boolean): Promise<Record<string, TableBytes>> {
  const out: Record<string, TableBytes> = {}
  for (const t of ['samples', 'rollups_1m', 'rollups_1h', 'series', 'endpoints']) {
    // Merged as far as ClickHouse goes, as bench:ingest measures: the size data settles at.
    if (optimize) await store.command(`OPTIMIZE TABLE ${t} FINAL`)
    const [r] = await store.query<{ rows: string; compressed: string; onDisk: string }>({
      query: `SELECT sum(rows) AS rows, sum(data_compressed_bytes) AS compressed, sum(bytes_on_disk) AS onDisk
              FROM system.parts WHERE active AND database = currentDatabase() AND table = '${t}'`,
      params: {},
    })
    out[t] = { rows: Number(r?.rows), compressed: Number(r?.compressed), onDisk: Number(r?.onDisk) }
  }
  return out
}

async function answer(m: PeregrineRequest): Promise<object> {
  switch (m.cmd) {
    case 'inserted': {
      const metric = registry.getSingleMetric('peregrine_collector_points_inserted_total')
      return { n: (await metric?.get())?.values[0]?.value ?? 0 }
    }
    case 'count':
      return { n: await one('SELECT count() AS n FROM samples') }
    case 'rolled':
      return { n: await one('SELECT sum(count) AS n FROM rollups_1m FINAL') }
    case 'tables':
      return { tables: await tables(m.optimize) }
    case 'stop':
      await dashboard.stop()
      await collector.stop()
      await nc.drain()
      await store.close()
      process.exit(0)
  }
}

process.on('message', (m: PeregrineRequest & { id: number }) => {
  void answer(m).then(
    (r) => process.send?.({ id: m.id, ...r }),
    (err: Error) => process.send?.({ id: m.id, error: err.message }),
  )
})
process.on('disconnect', () => process.exit(1))
process.send?.({ started: true })
