// History reads while Peregrine ingests flat out (issue 11's target: 1 series × 24 h at 1 min,
// p99 ≤ 50 ms): bench:peers' Peregrine process (collector + dashboard on one embedded ClickHouse)
// takes the bench:peers data set from the publisher as fast as it can, and meanwhile the shape is
// asked over and over, each time followed by GET /api/v1/me, which reads no ClickHouse at all: the
// floor the process itself sets while its collector works.
// Usage: node --import tsx bench/reads-under-ingest.ts [--points 2000000]
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import {
  ensureMetricsStream,
  natsConnectionOptions,
  nkeyClientConfig,
  startAuthorizedNatsServer,
} from '@peregrine/common'
import { tempDir } from '@peregrine/common/testing'
import { connect } from 'nats'
import { freePort } from '../cli/test/allinone.ts'
import { benchShape } from './data.ts'
import { cleanUpAll, removeAtExit } from './faults/system.ts'
import { startFleet } from './fleet.ts'
import { startIpcChild } from './ipc-child.ts'
import type { PeregrineArgs } from './peers/peregrine.ts'
import { queryShapes } from './peers/queries.ts'
import { percentile } from './proc.ts'

const { values: args } = parseArgs({ options: { points: { type: 'string', default: '2000000' } } })
const POINTS = Number(args.points)
process.once('exit', cleanUpAll)

const shape = benchShape({ hosts: 20, metricsPerHost: 500, cycles: Math.ceil(POINTS / 10_000) })
const dir = await tempDir('peregrine-bench-reads-')
removeAtExit(dir.path)
const nats = await startAuthorizedNatsServer({ dataDir: join(dir.path, 'nats'), agentHost: 'bench' })
const natsClient = nkeyClientConfig(nats.url, nats.credentials.service.seedFile)
const nc = await connect(await natsConnectionOptions(natsClient))
await ensureMetricsStream(await nc.jetstreamManager())
const adminToken = `pgt_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('hex')}`
const port = await freePort()
const peregrineArgs: PeregrineArgs = {
  natsClient,
  dataDir: join(dir.path, 'peregrine'),
  port,
  adminToken,
  batchPoints: 100_000,
}
const peregrine = startIpcChild({
  script: join(import.meta.dirname, 'peers', 'peregrine.ts'),
  argv: [JSON.stringify(peregrineArgs)],
  name: 'peregrine',
  logFile: join(dir.path, 'peregrine.log'),
})
await peregrine.ready
const fleet = await startFleet(natsClient, shape)
const day = queryShapes(shape).find((q) => q.name === '1 series × 24 h at 1 min')!

/** Milliseconds until `path` was answered (and its body read). */
async function timed(path: string): Promise<number> {
  const t = performance.now()
  const r = await fetch(`http://127.0.0.1:${port}${path}`, {
    headers: { authorization: `Bearer ${adminToken}` },
  })
  const body = await r.text()
  if (!r.ok) throw new Error(`${path.split('?')[0]} answered ${r.status}: ${body.slice(0, 300)}`)
  return performance.now() - t
}
const inserted = async () => (await peregrine.ask<{ n: number }>({ cmd: 'inserted' })).n

const ms = { history: [] as number[], me: [] as number[] }
const t0 = performance.now()
fleet.go()
for (let k = 0; ; k++) {
  ms.history.push(await timed(day.ask(k).peregrine[0]!))
  ms.me.push(await timed('/api/v1/me'))
  if (k % 10 === 9 && (await inserted()) >= shape.hosts * shape.metricsPerHost * shape.cycles) break
}
const seconds = (performance.now() - t0) / 1000
const figures = (a: number[]) => ({
  p50: +percentile(a, 50).toFixed(1),
  p99: +percentile(a, 99).toFixed(1),
  max: +Math.max(...a).toFixed(1),
})
console.log(
  JSON.stringify({
    points: shape.hosts * shape.metricsPerHost * shape.cycles,
    ingestSeconds: +seconds.toFixed(1),
    requests: ms.history.length,
    history: figures(ms.history),
    me: figures(ms.me),
  }),
)
await peregrine.stop()
await nc.close()
await nats.stop()
