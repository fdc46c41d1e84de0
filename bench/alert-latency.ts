// Alert latency (docs/benchmarks.md): a value flip pushed to the agent's POST /v1/push → the
// judge's event on the events stream → the alarm's webhook, against Prometheus + Alertmanager
// (Debian's packages) at their tightest settings flipping a scraped value → the webhook,
// interleaved trial by trial in the same run. Every process runs on loopback, on free ports, in a
// temporary folder.
// Usage: npm run bench:alert [-- --trials 60 --stack all|split --phases 6 --no-prometheus]
import { execFileSync } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import {
  AlertEvent,
  allInOneNatsDir,
  allInOneServiceKey,
  ConfigStore,
  EVENTS_SUBJECT_PREFIX,
  METRICS_SUBJECT_PREFIX,
  MetricBatchReader,
  type Strategy,
  StrategySpec,
} from '@peregrine/common'
import { startTestNats, type TestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { type ConnectionOptions, connect, type NatsConnection, nkeyAuthenticator } from 'nats'
import { freePort } from '../cli/test/allinone.ts'
import {
  cleanUpAll,
  httpOk,
  killByPidFile,
  removeAtExit,
  type Service,
  startProgram,
  startService,
  stopService,
} from './faults/system.ts'
import { percentile } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '4' },
    /** all: `peregrine all`; split: nats-server, `peregrine agent`, `collector`, `judge` apart. */
    stack: { type: 'string', default: 'all' },
    /** Longest random pause between trials, so flips fall at any phase of scrapes and cycles. */
    'gap-ms': { type: 'string', default: '1000' },
    'no-prometheus': { type: 'boolean', default: false },
    /** Prometheus starts over this many times (a new scrape/evaluation phase each), spread over the trials. */
    phases: { type: 'string', default: '6' },
  },
})
const TRIALS = Number(args.trials)
const WARMUP = Number(args.warmup)
const GAP_MS = Number(args['gap-ms'])
const STACK = args.stack === 'split' ? 'split' : 'all'
const PROMETHEUS = !args['no-prometheus']
const PHASE_TRIALS = Math.ceil(TRIALS / Math.max(1, Number(args.phases)))
const TRIAL_TIMEOUT_MS = 15_000
const RUN_LIMIT_MS = 20 * 60_000

const METRIC = 'app.flip'
const ENDPOINT = 'bench-app'
const STEP = 10
/**
 * Point time between flips. The judge's flapping rule (more than 5 changes in 600 s of point
 * time) would rightly hold back a series flipping every second; flips 130 s apart in point time
 * are 6 changes in 650 s. Point time is semantics only: nothing in the path waits on it.
 */
const FLIP_SPACING_S = 130

/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the judge's Date.now(). */
const nowMs = () => performance.timeOrigin + performance.now()

// Anything started here dies with this process, however it ends.
const pidFiles = new Set<string>()
function cleanUp(): void {
  cleanUpAll()
  for (const f of pidFiles) killByPidFile(f)
}
process.once('exit', cleanUp)
process.once('SIGINT', () => process.exit(130))
process.once('SIGTERM', () => process.exit(143))
setTimeout(() => {
  console.error(`alert-latency: still running after ${RUN_LIMIT_MS / 60_000} min, giving up`)
  process.exit(2)
}, RUN_LIMIT_MS).unref()

const dir = await tempDir('peregrine-bench-alert-')
removeAtExit(dir.path)

// ---------------------------------------------------------------------------------------------
// Peregrine

interface PeregrineStack {
  agentUrl: string
  nats: ConnectionOptions
  stop(): Promise<void>
}

async function startAllInOne(): Promise<PeregrineStack> {
  const data = join(dir.path, 'peregrine')
  const ports = { nats: await freePort(), dashboard: await freePort(), agent: await freePort() }
  const all = startService(
    'all',
    {
      PEREGRINE_DATA: data,
      ALLINONE_NATS_PORT: String(ports.nats),
      DASHBOARD_PORT: String(ports.dashboard),
      AGENT_HTTP_PORT: String(ports.agent),
      AGENT_HOSTNAME: 'bench-host',
      OUTBOUND_ALLOW_NETS: '127.0.0.0/8',
    },
    join(dir.path, 'all.log'),
  )
  const pidFile = join(allInOneNatsDir(data), 'nats-server.pid')
  pidFiles.add(pidFile)
  const agentUrl = `http://127.0.0.1:${ports.agent}`
  await healthy(all, [`http://127.0.0.1:${ports.dashboard}/healthz`, `${agentUrl}/healthz`])
  const seed = (await readFile(allInOneServiceKey(data), 'utf8')).trim()
  return {
    agentUrl,
    nats: {
      servers: `nats://127.0.0.1:${ports.nats}`,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    },
    stop: async () => {
      await stopService(all)
      killByPidFile(pidFile)
    },
  }
}

/** Distributed mode on loopback, each service its own process, as bench/faults starts them. */
async function startSplit(): Promise<PeregrineStack> {
  const nats: TestNats = await startTestNats({ agentHost: 'bench-host' })
  removeAtExit(nats.dataDir)
  const ports = {
    collector: await freePort(),
    judge: await freePort(),
    alarm: await freePort(),
    agent: await freePort(),
  }
  const collector = startService(
    'collector',
    {
      ...nats.env('service'),
      PEREGRINE_DATA: join(dir.path, 'collector'),
      COLLECTOR_OPS_PORT: String(ports.collector),
    },
    join(dir.path, 'collector.log'),
  )
  await healthy(collector, [`http://127.0.0.1:${ports.collector}/healthz`]) // it creates the streams
  const judge = startService(
    'judge',
    { ...nats.env('service'), JUDGE_OPS_PORT: String(ports.judge) },
    join(dir.path, 'judge.log'),
  )
  const alarm = startService(
    'alarm',
    { ...nats.env('service'), ALARM_OPS_PORT: String(ports.alarm), OUTBOUND_ALLOW_NETS: '127.0.0.0/8' },
    join(dir.path, 'alarm.log'),
  )
  const agentUrl = `http://127.0.0.1:${ports.agent}`
  const agent = startService(
    'agent',
    {
      ...nats.env('agent'),
      PEREGRINE_DATA: join(dir.path, 'agent'),
      AGENT_HOSTNAME: nats.agentHost,
      AGENT_HTTP_PORT: String(ports.agent),
    },
    join(dir.path, 'agent.log'),
  )
  await healthy(judge, [`http://127.0.0.1:${ports.judge}/healthz`])
  await healthy(alarm, [`http://127.0.0.1:${ports.alarm}/healthz`])
  await healthy(agent, [`${agentUrl}/healthz`])
  return {
    agentUrl,
    nats: nats.connectOptions('service'),
    stop: async () => {
      await stopService(agent)
      await stopService(alarm)
      await stopService(judge)
      await stopService(collector)
      await nats.dispose()
    },
  }
}

async function healthy(s: Service, urls: string[]): Promise<void> {
  await waitFor(
    async () => {
      if (s.child.exitCode !== null) throw new Error(`exited; see ${s.logFile}`)
      return (await Promise.all(urls.map(httpOk))).every(Boolean)
    },
    120_000,
    `health of ${urls.join(', ')} (log ${s.logFile})`,
  )
}

/** A waiter for one event (or webhook), resolved by the subscriber that sees it. */
interface Waiter<T> {
  match(x: T): boolean
  resolve(x: T & { at: number }): void
}

function waitOne<T>(waiters: Set<Waiter<T>>, match: (x: T) => boolean, what: string) {
  let waiter!: Waiter<T>
  const seen = new Promise<T & { at: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(waiter)
      reject(new Error(`no ${what} within ${TRIAL_TIMEOUT_MS} ms`))
    }, TRIAL_TIMEOUT_MS)
    waiter = {
      match,
      resolve: (x) => {
        clearTimeout(timer)
        waiters.delete(waiter)
        resolve(x)
      },
    }
  })
  waiters.add(waiter)
  return seen
}

interface PeregrineTrial {
  /** All in ms from just before the push. */
  total: number
  /** The batch with the point seen on its metrics subject (the agent has published it). */
  published: number
  /** The push answered (JetStream acknowledged the batch). */
  answered: number
  /** The judge's judgedAt (its clock: the same machine's). */
  judged: number
  /** The alarm's webhook received (the flip's notification). */
  delivered: number
  status: string
}

class PeregrineSide {
  readonly events = new Set<Waiter<AlertEvent>>()
  readonly hooks = new Set<Waiter<{ ts: number; status: string }>>()
  readonly batches = new Set<Waiter<{ ts: number }>>()
  readonly trials: PeregrineTrial[] = []
  failures = 0
  #index = 0
  #value = 1
  readonly #base: number

  private constructor(
    readonly stack: PeregrineStack,
    readonly nc: NatsConnection,
    count: number,
  ) {
    const now = Math.floor(Date.now() / 1000)
    this.#base = now - (now % STEP) - (count + 2) * FLIP_SPACING_S
  }

  static async start(count: number): Promise<PeregrineSide> {
    const stack = STACK === 'split' ? await startSplit() : await startAllInOne()
    const nc = await connect(stack.nats)
    const side = new PeregrineSide(stack, nc, count)
    side.#subscribe()
    // The alarm's generic webhook (a user's robot URL that is no IM vendor's): the notification.
    const hook = await serve((_req, body) => {
      const at = nowMs()
      const n = JSON.parse(body) as { events: { timestamp: number; status: string; metric: string }[] }
      for (const e of n.events)
        if (e.metric === METRIC)
          for (const w of side.hooks)
            if (w.match({ ts: e.timestamp, status: e.status })) w.resolve({ ...e, ts: e.timestamp, at })
      return 'ok'
    })
    servers.push(hook.server)
    const config = await ConfigStore.open(nc)
    await config.users.create('bench', {
      name: 'bench',
      imWebhook: `http://127.0.0.1:${hook.port}/peregrine`,
    })
    await config.teams.create('bench', { name: 'bench', members: ['bench'] })
    const strategy = {
      ...StrategySpec.parse({
        name: 'bench-flip',
        metric: METRIC,
        fn: 'all',
        window: '#1',
        operator: '>',
        threshold: 0.5,
        priority: 0,
        receivers: ['bench'],
      }),
      id: 's_bench_flip',
      node: null,
    } as Strategy
    await config.strategies.create(strategy.id, strategy)
    return side
  }

  #subscribe(): void {
    const events = this.nc.subscribe(`${EVENTS_SUBJECT_PREFIX}.>`)
    void (async () => {
      for await (const m of events) {
        const at = nowMs()
        const e = AlertEvent.parse(m.json())
        if (e.metric !== METRIC) continue
        for (const w of this.events) if (w.match(e)) w.resolve({ ...e, at })
      }
    })()
    const batches = this.nc.subscribe(`${METRICS_SUBJECT_PREFIX}.>`)
    // Every message is read, so that the dictionaries learn the agent's definitions inline.
    const reader = new MetricBatchReader(this.nc)
    void (async () => {
      for await (const m of batches) {
        const at = nowMs()
        const d = await reader.read(m.data, m.subject)
        if (this.batches.size === 0) continue
        if (!d.ok) continue
        const b = d.batch
        for (let i = 0; i < b.refs.length; i++) {
          if (!b.series[b.refs[i]!]!.startsWith(`${ENDPOINT}\t${METRIC}\t`)) continue
          const ts = b.ts[i]!
          for (const w of this.batches) if (w.match({ ts })) w.resolve({ ts, at })
        }
      }
    })()
  }

  async #push(value: number, ts: number): Promise<void> {
    const res = await fetch(`${this.stack.agentUrl}/v1/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          endpoint: ENDPOINT,
          metric: METRIC,
          timestamp: ts,
          step: STEP,
          value,
          counterType: 'GAUGE',
          tags: '',
        },
      ]),
    })
    if (!res.ok) throw new Error(`push answered ${res.status}: ${await res.text()}`)
  }

  /** Pushes 1 until the first PROBLEM comes: the judge holds its partitions and knows the strategy. */
  async ready(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const ts = this.#base + this.#index++ * FLIP_SPACING_S
      const event = waitOne(this.events, (e) => e.timestamp === ts && e.status === 'PROBLEM', 'PROBLEM')
      event.catch(() => undefined)
      const hook = waitOne(this.hooks, (h) => h.ts === ts && h.status === 'PROBLEM', 'PROBLEM webhook')
      hook.catch(() => undefined)
      await this.#push(1, ts)
      if (await Promise.race([Promise.all([event, hook]), sleep(2000).then(() => null)])) break
      if (attempt === 60) throw new Error('no PROBLEM from the judge within 2 min')
    }
    this.#value = 0
  }

  /** One flip: 0 after 1 (OK), 1 after 0 (PROBLEM). */
  async trial(record: boolean): Promise<void> {
    const value = this.#value
    this.#value = 1 - value
    const ts = this.#base + this.#index++ * FLIP_SPACING_S
    const status = value === 1 ? 'PROBLEM' : 'OK'
    const event = waitOne(this.events, (e) => e.timestamp === ts && e.status === status, status)
    const batch = waitOne(this.batches, (b) => b.ts === ts, 'batch')
    const hook = waitOne(this.hooks, (h) => h.ts === ts && h.status === status, `${status} webhook`)
    const t0 = nowMs()
    try {
      await this.#push(value, ts)
      const answered = nowMs()
      const [e, b, h] = await Promise.all([event, batch, hook])
      if (record)
        this.trials.push({
          total: e.at - t0,
          published: b.at - t0,
          answered: answered - t0,
          judged: e.judgedAt - t0,
          delivered: h.at - t0,
          status,
        })
    } catch (err) {
      this.failures++
      console.error(`peregrine trial: ${(err as Error).message}`)
      for (const w of [event, batch, hook]) w.catch(() => undefined)
    }
  }

  async stop(): Promise<void> {
    await this.nc.close()
    await this.stack.stop()
  }
}

// ---------------------------------------------------------------------------------------------
// Prometheus + Alertmanager

interface PrometheusTrial {
  total: number
  /** The first scrape that served the new value, in ms from the flip. */
  scraped: number
  status: string
}

class PrometheusSide {
  value = 0
  readonly scrapes: { at: number; value: number }[] = []
  readonly hooks = new Set<Waiter<{ status: string }>>()
  readonly trials: PrometheusTrial[] = []
  /** Per Prometheus start: ms from a scrape to the next rule evaluation, and the trials' median. */
  readonly phases: { scrapeToEvalMs: number; trials: number; p50Ms: number }[] = []
  failures = 0
  versions = ''
  #alertmanagerPort = 0
  #prometheus: { service: Service; exporter: Server; port: number } | null = null
  #starts = 0
  #phaseFrom = 0

  /** Alertmanager and its webhook receiver; then Prometheus (startPrometheus). */
  async start(): Promise<void> {
    this.versions = ['prometheus', 'prometheus-alertmanager']
      .map((b) => execFileSync(b, ['--version'], { encoding: 'utf8' }).split('\n')[0])
      .join('; ')
    const hook = await serve((req, body) => {
      if (req !== 'POST /alert') return ''
      const at = nowMs()
      const n = JSON.parse(body) as { alerts: { status: string; labels: { alertname: string } }[] }
      for (const a of n.alerts)
        if (a.labels.alertname === 'BenchFlip')
          for (const w of this.hooks) if (w.match({ status: a.status })) w.resolve({ status: a.status, at })
      return ''
    })
    servers.push(hook.server)
    this.#alertmanagerPort = await freePort()
    const a = join(dir.path, 'alertmanager')
    await writeFile(
      `${a}.yml`,
      `global: {resolve_timeout: 1s}
route: {receiver: hook, group_by: [alertname], group_wait: 0s, group_interval: 1s, repeat_interval: 1000h}
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:${hook.port}/alert', send_resolved: true}]
`,
    )
    const am = startProgram(
      'prometheus-alertmanager',
      [
        `--config.file=${a}.yml`,
        `--storage.path=${a}-data`,
        `--web.listen-address=127.0.0.1:${this.#alertmanagerPort}`,
        '--cluster.listen-address=',
      ],
      {},
      `${a}.log`,
    )
    services.push(am)
    await healthy(am, [`http://127.0.0.1:${this.#alertmanagerPort}/-/ready`])
    await this.startPrometheus()
  }

  /**
   * A (new) Prometheus scraping a new exporter port. Where a scrape falls against the rule
   * evaluation is fixed per start (both offsets are hashes, of the target's URL and of the rule
   * group), and it decides most of the latency: restarting samples other phases.
   */
  async startPrometheus(): Promise<void> {
    if (this.#prometheus) {
      this.#closePhase()
      await stopService(this.#prometheus.service, 10_000)
      this.#prometheus.exporter.close()
    }
    const exporter = await serve((req) => {
      if (req !== 'GET /metrics') return ''
      this.scrapes.push({ at: nowMs(), value: this.value })
      return `# TYPE bench_flip gauge\nbench_flip ${this.value}\n`
    })
    const port = await freePort()
    const p = join(dir.path, `prometheus-${++this.#starts}`)
    await writeFile(
      `${p}.yml`,
      `global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: ['${p}-rules.yml']
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:${this.#alertmanagerPort}']}]}]
scrape_configs:
  - {job_name: bench, static_configs: [{targets: ['127.0.0.1:${exporter.port}']}]}
`,
    )
    await writeFile(
      `${p}-rules.yml`,
      `groups:
  - name: bench
    rules: [{alert: BenchFlip, expr: 'bench_flip > 0.5', for: 0s}]
`,
    )
    const service = startProgram(
      'prometheus',
      [`--config.file=${p}.yml`, `--storage.tsdb.path=${p}-data`, `--web.listen-address=127.0.0.1:${port}`],
      {},
      `${p}.log`,
    )
    services.push(service)
    this.#prometheus = { service, exporter: exporter.server, port }
    await healthy(service, [`http://127.0.0.1:${port}/-/ready`])
    // The value stays as it was: a firing that Alertmanager already has is not notified again.
    this.#offset = Number.NaN
    this.scrapes.length = 0
    await waitFor(
      async () => this.scrapes.length > 0 && (await this.#lastEvaluation()) > this.scrapes[0]!.at,
      60_000,
      'a scrape and an evaluation',
    )
    this.#phaseFrom = this.trials.length
  }

  async #lastEvaluation(): Promise<number> {
    const r = await fetch(`http://127.0.0.1:${this.#prometheus!.port}/api/v1/rules`)
    const body = (await r.json()) as { data: { groups: { lastEvaluation: string }[] } }
    return Date.parse(body.data.groups[0]?.lastEvaluation ?? '')
  }

  #closePhase(): void {
    const trials = this.trials.slice(this.#phaseFrom)
    if (trials.length === 0) return
    this.phases.push({
      scrapeToEvalMs: this.#offset,
      trials: trials.length,
      p50Ms: +percentile(
        trials.map((t) => t.total),
        50,
      ).toFixed(1),
    })
  }

  #offset = Number.NaN

  /** Measures the phase from a scrape to the next evaluation, once the run of this Prometheus has data. */
  async measurePhase(): Promise<void> {
    const evaluated = await this.#lastEvaluation()
    const scrape = this.scrapes.at(-1)?.at ?? Number.NaN
    this.#offset = +((((evaluated - scrape) % 1000) + 1000) % 1000).toFixed(0)
  }

  /** Flips to 1 until the first firing notification: everything is up and scraping. */
  async ready(): Promise<void> {
    this.value = 1
    for (let attempt = 1; ; attempt++) {
      const firing = await waitOne(this.hooks, (h) => h.status === 'firing', 'firing').catch(() => null)
      if (firing) return
      if (attempt === 8) throw new Error('no firing notification from Alertmanager within 2 min')
    }
  }

  async trial(record: boolean): Promise<void> {
    const value = 1 - this.value
    const status = value === 1 ? 'firing' : 'resolved'
    const hook = waitOne(this.hooks, (h) => h.status === status, status)
    const t0 = nowMs()
    this.value = value
    try {
      const h = await hook
      const scrape = this.scrapes.find((s) => s.at >= t0 && s.value === value)
      if (record) this.trials.push({ total: h.at - t0, scraped: (scrape?.at ?? Number.NaN) - t0, status })
    } catch (err) {
      this.failures++
      console.error(`prometheus trial: ${(err as Error).message}`)
    }
    if (record && Number.isNaN(this.#offset)) await this.measurePhase()
    this.scrapes.length = 0
  }

  async stop(): Promise<void> {
    this.#closePhase()
    for (const s of services) await stopService(s, 10_000)
    for (const s of servers) s.close()
  }
}

const services: Service[] = []
const servers: Server[] = []

/** A tiny HTTP server on a free loopback port answering `handle(method + url, body)`. */
async function serve(
  handle: (req: string, body: string) => string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d: Buffer) => {
      body += d
    })
    req.on('end', () => {
      const out = handle(`${req.method} ${req.url}`, body)
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(out)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

// ---------------------------------------------------------------------------------------------

function summary(values: number[]) {
  const r = (v: number) => +v.toFixed(1)
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p90: r(percentile(values, 90)),
    p99: r(percentile(values, 99)),
    max: r(percentile(values, 100)),
    min: r(percentile(values, 0)),
  }
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const loadBefore = load()
const started = new Date()
console.log(
  `alert latency: node ${process.version}, stack ${STACK}, ${TRIALS} trials (+${WARMUP} warm-up) each, ` +
    `random gap 0–${GAP_MS} ms; load ${loadBefore}`,
)

const peregrine = await PeregrineSide.start(TRIALS + WARMUP + 60)
const prometheus = PROMETHEUS ? new PrometheusSide() : null
try {
  await prometheus?.start()
  await peregrine.ready()
  await prometheus?.ready()
  // Interleaved: both see the same machine, whatever else runs on it meanwhile.
  for (let i = 0; i < WARMUP + TRIALS; i++) {
    await sleep(Math.random() * GAP_MS)
    await peregrine.trial(i >= WARMUP)
    if (prometheus) {
      const done = i - WARMUP
      if (done > 0 && done % PHASE_TRIALS === 0) {
        await prometheus.startPrometheus()
        await sleep(2000)
      }
      await sleep(Math.random() * GAP_MS)
      await prometheus.trial(i >= WARMUP)
    }
    if ((i + 1) % 10 === 0) console.error(`  ${i + 1}/${WARMUP + TRIALS} trials`)
  }
} finally {
  await prometheus?.stop()
  await peregrine.stop()
}

const p = peregrine.trials
const byStatus = <T extends { status: string; total: number }>(t: T[], s: string) =>
  t.filter((x) => x.status === s).map((x) => x.total)
const result = {
  date: started.toISOString(),
  node: process.version,
  stack: STACK,
  loadBefore,
  loadAfter: load(),
  peregrine: {
    failures: peregrine.failures,
    pushToWebhookMs: summary(p.map((t) => t.delivered)),
    pushToEventMs: summary(p.map((t) => t.total)),
    problemMs: summary(byStatus(p, 'PROBLEM')),
    okMs: summary(byStatus(p, 'OK')),
    segments: {
      pushToBatchOnSubjectMs: summary(p.map((t) => t.published)),
      pushAnsweredMs: summary(p.map((t) => t.answered)),
      batchToJudgedMs: summary(p.map((t) => t.judged - t.published)),
      judgedToEventSeenMs: summary(p.map((t) => t.total - t.judged)),
      eventSeenToWebhookMs: summary(p.map((t) => t.delivered - t.total)),
    },
  },
  prometheus: prometheus && {
    versions: prometheus.versions,
    phases: prometheus.phases,
    failures: prometheus.failures,
    flipToWebhookMs: summary(prometheus.trials.map((t) => t.total)),
    firingMs: summary(byStatus(prometheus.trials, 'firing')),
    resolvedMs: summary(byStatus(prometheus.trials, 'resolved')),
    segments: {
      flipToScrapeMs: summary(prometheus.trials.map((t) => t.scraped)),
      scrapeToWebhookMs: summary(prometheus.trials.map((t) => t.total - t.scraped)),
    },
  },
  /** Like for like: a pushed flip to a webhook, Peregrine's p50 over Prometheus + Alertmanager's. */
  ratioP50: prometheus
    ? +(
        percentile(
          p.map((t) => t.delivered),
          50,
        ) /
        percentile(
          prometheus.trials.map((t) => t.total),
          50,
        )
      ).toFixed(4)
    : null,
}
console.log(JSON.stringify(result, null, 2))
await dir.remove()
process.exit(peregrine.failures + (prometheus?.failures ?? 0) > 0 ? 1 : 0)
