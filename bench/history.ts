// History API with big answers (docs/benchmarks.md): GET /api/v1/history end to end (fastify
// inject: routing, token check, queries, serialization to the JSON text sent) on a real embedded
// store, against the bare ClickHouse read of the same stored rows in the same run, interleaved so
// both see the same machine load. Cases: the explorer's 50 series × 8,641 raw points (24 h at the
// native 10 s step, `step=10`) as gauges and as counters, and 500 series × 24 h from the 1-minute
// rollup (`step=60`).
// Usage: npm run bench:history [-- --reps 15 --case gauges,counters,rollup]
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import { fingerprint, ident, param, type Resolution, type Store, sql } from '@peregrine/common'
import { rollAllSamples } from '@peregrine/common/testing'
import { history, matchingSeries } from '../dashboard/src/queries.ts'
import { startTestApi } from '../dashboard/src/testing.ts'
import { percentile } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '15' },
    case: { type: 'string', default: 'gauges,counters,rollup' },
  },
})
const REPS = Number(args.reps)
const WARMUP = 2
const DAY = 86_400

const say = (text: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')

interface Case {
  name: string
  endpoint: string
  metric: string
  counterType: 'GAUGE' | 'COUNTER'
  series: number
  /** Seconds between stored points, and the `step` asked for. */
  step: number
  /** The table the bare read takes: the one the route is expected to answer from. */
  table: 'samples' | 'rollups_1m'
}

const ALL_CASES: Case[] = [
  {
    name: 'gauges',
    endpoint: 'explorer-gauges',
    metric: 'disk.busy',
    counterType: 'GAUGE',
    series: 50,
    step: 10,
    table: 'samples',
  },
  {
    name: 'counters',
    endpoint: 'explorer-counters',
    metric: 'net.if.in.bytes',
    counterType: 'COUNTER',
    series: 50,
    step: 10,
    table: 'samples',
  },
  {
    name: 'rollup',
    endpoint: 'explorer-rollup',
    metric: 'cpu.busy',
    counterType: 'GAUGE',
    series: 500,
    step: 60,
    table: 'rollups_1m',
  },
]
const CASES = ALL_CASES.filter((c) => args.case.split(',').includes(c.name))

// 24 h ending at a whole minute well inside the raw retention: 8,641 points at 10 s, both ends in.
const TO = Math.floor(Date.now() / 1000 / 60) * 60 - 600
const FROM = TO - DAY

/** Deterministic values shaped like an agent's: gauges random-walk at 0.01, counters grow by 0–50k. */
function seriesValues(c: Case, k: number): number[] {
  let seed = 7919 * (k + 1)
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
    return seed / 0x7fffffff
  }
  const out: number[] = []
  let v = c.counterType === 'COUNTER' ? Math.floor(next() * 1e9) : 50
  for (let ts = FROM; ts <= TO; ts += c.step) {
    if (c.counterType === 'COUNTER') v += Math.floor(next() * 50_000)
    else v = Math.min(100, Math.max(0, Math.round((v + (next() - 0.5) * 4) * 100) / 100))
    out.push(v)
  }
  return out
}

async function seed(store: Store): Promise<void> {
  const now = Math.floor(Date.now() / 1000)
  for (const c of CASES) {
    let series = ''
    for (let k = 0; k < c.series; k++) {
      const tags = `disk=d${String(k).padStart(3, '0')}`
      const fp = fingerprint({ endpoint: c.endpoint, metric: c.metric, tags })
      series += `${fp}\t${c.endpoint}\t${c.metric}\t${tags}\t${c.counterType}\t${c.step}\t${now}\n`
      let points = ''
      seriesValues(c, k).forEach((v, i) => {
        points += `${fp}\t${FROM + i * c.step}\t${v}\n`
      })
      await store.insertTsv('samples', ['fp', 'ts', 'input'], points)
    }
    await store.insertTsv(
      'series',
      ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
      series,
    )
    await store.insertTsv('endpoints', ['endpoint', 'agent', 'last_seen'], `${c.endpoint}\tbench\t${now}\n`)
  }
  await rollAllSamples(store)
  // Whole parts, as a store that has been running a while holds: no merge runs during the timing.
  for (const t of ['samples', 'rollups_1m', 'rollups_1h']) await store.command(`OPTIMIZE TABLE ${t} FINAL`)
}

/**
 * The reference: ClickHouse reading the stored rows the answer is made of, as text that is not
 * parsed; what any route must at least pay to get its data out of the engine. Returns the bytes read.
 */
async function bareRead(store: Store, c: Case, fps: string[]): Promise<number> {
  const columns = c.table === 'samples' ? sql`fp, ts, value` : sql`fp, ts, min, max, sum, count, last`
  const q = sql`SELECT ${columns} FROM ${ident(c.table)}
      WHERE fp IN ${param.uint64s(fps)} AND ts BETWEEN ${param.uint32(FROM)} AND ${param.uint32(TO)}
      ORDER BY fp, ts`
  const rs = await store.client.query({ query: q.query, query_params: q.params, format: 'TabSeparated' })
  return (await rs.text()).length
}

interface Timing {
  ms: number
  cpuMs: number
}

/** Wall time and this process's CPU time (JavaScript and the embedded engine's threads alike). */
async function timed(fn: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await fn()
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const loadBefore = load()
say(`history bench: ${REPS} repetitions after ${WARMUP} warm-up; load ${loadBefore}`)
const t = performance.now()
const api = await startTestApi({ seed })
say(
  `seeded ${CASES.map((c) => `${c.name} (${c.series} series)`).join(', ')} in ${fmt((performance.now() - t) / 1000, 1)} s`,
)
const headers = { authorization: `Bearer ${api.admin}` }

interface Result {
  name: string
  series: number
  points: number
  resolution: string
  interval: number
  answerBytes: number
  route: Timing[]
  data: Timing[]
  bare: Timing[]
}
const results: Result[] = []

for (const c of CASES) {
  const series = await matchingSeries(api.store, c.endpoint, c.metric, '')
  const fps = series.map((s) => s.fp)
  const query = new URLSearchParams({
    endpoint: c.endpoint,
    metric: c.metric,
    from: String(FROM),
    to: String(TO),
    step: String(c.step),
  })
  const url = `/api/v1/history?${query}`
  const route = async () => {
    const res = await api.app.inject({ method: 'GET', url, headers })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`)
    return res.body
  }
  const answer = JSON.parse(await route()) as {
    series: { resolution: string; interval: number; timestamps: number[] }[]
  }
  const first = answer.series[0]!
  const expected = c.table === 'samples' ? 'raw' : '1m'
  if (first.resolution !== expected || first.interval !== c.step)
    throw new Error(`${c.name}: answered from ${first.resolution} every ${first.interval} s, not ${expected}`)
  const points = answer.series.reduce((n, s) => n + s.timestamps.length, 0)
  const r: Result = {
    name: c.name,
    series: answer.series.length,
    points,
    resolution: first.resolution,
    interval: first.interval,
    answerBytes: (await route()).length,
    route: [],
    data: [],
    bare: [],
  }
  const choice = { resolution: first.resolution as Resolution, interval: first.interval }
  // The data layer alone: queries and shaping into series, without serialization.
  const data = () =>
    history(api.store, series, {
      from: FROM,
      to: TO,
      now: Math.floor(Date.now() / 1000),
      unrolled: null,
      ...choice,
    })
  say(
    `${c.name}: ${r.series} series, ${fmt(points)} points (${r.resolution}, every ${r.interval} s), ` +
      `${fmt(r.answerBytes / 1e6, 1)} MB of JSON`,
  )
  for (let k = 0; k < WARMUP + REPS; k++) {
    // Interleaved, so a burst of load elsewhere falls on every measurement alike.
    const bare = await timed(() => bareRead(api.store, c, fps))
    const d = await timed(data)
    const rt = await timed(route)
    if (k < WARMUP) continue
    r.bare.push(bare)
    r.data.push(d)
    r.route.push(rt)
  }
  results.push(r)
}

// Of 15 repetitions, p99 is the slowest.
const ms = (ts: Timing[], p: number) =>
  percentile(
    ts.map((x) => x.ms),
    p,
  )
const cpu = (ts: Timing[]) =>
  percentile(
    ts.map((x) => x.cpuMs),
    50,
  )
console.log(`\n## history: route vs bare read (ms; load ${loadBefore} before, ${load()} after)\n`)
console.log(
  '| case | points | route p50 | route p99 | data layer p50 | bare read p50 | bare p99 | route CPU p50 | ratio route/bare (p50) |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |')
for (const r of results)
  console.log(
    `| ${r.name} (${r.series} × ${r.resolution}/${r.interval}s) | ${fmt(r.points)} | ${fmt(ms(r.route, 50))} | ` +
      `${fmt(ms(r.route, 99))} | ${fmt(ms(r.data, 50))} | ${fmt(ms(r.bare, 50))} | ${fmt(ms(r.bare, 99))} | ` +
      `${fmt(cpu(r.route))} | ${fmt(ms(r.route, 50) / ms(r.bare, 50), 2)} |`,
  )
await api.dispose()
