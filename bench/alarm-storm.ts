// Alarm storm (docs/benchmarks.md): 10,000 events a second for --seconds into the events stream,
// 99 % low priority (merged) and 1 % P1 (sent at once), to five receivers' webhooks, through one
// `peregrine alarm` process. Measures how fast it takes them (events acknowledged on the stream
// per second), when the last is handled, how many messages people get, and the alarm's memory;
// against a bare consumer that only parses and acknowledges the same events, in the same run.
// Usage: npm run bench:alarm-storm [-- --rate 10000 --seconds 10 --max-in-flight 20000]
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ConfigStore, EVENTS_STREAM, ensureEventsStream, eventsSubject } from '@peregrine/common'
import { AlertEvent } from '@peregrine/common/schema'
import { startTestNats, tempDir, testEvent } from '@peregrine/common/testing'
import { AckPolicy, connect, type NatsConnection } from 'nats'
import { cleanUpAll, removeAtExit, startService, stopService } from './faults/system.ts'

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '10' },
    /** ALARM_MAX_IN_FLIGHT of the alarm (its default: 20,000). */
    'max-in-flight': { type: 'string', default: '20000' },
  },
})
const RATE = Number(args.rate)
const TOTAL = RATE * Number(args.seconds)
const RECEIVERS = 5
const METRICS = 10
/** The merge window: a storm's low-priority events go out when it closes (60 s by default). */
const WINDOW = 10

process.once('exit', cleanUpAll)
process.once('SIGINT', () => process.exit(130))
const say = (text: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`)
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const loadBefore = load()
say(
  `alarm storm: ${TOTAL.toLocaleString('en-US')} events at ${RATE.toLocaleString('en-US')}/s; load ${loadBefore}`,
)

const dir = await tempDir('peregrine-bench-storm-')
removeAtExit(dir.path)
const nats = await startTestNats()
removeAtExit(nats.dataDir)
const nc = await connect(nats.connectOptions('service'))
const jsm = await nc.jetstreamManager()
await ensureEventsStream(jsm)

// Webhook receivers: messages per receiver, and events they carried.
const messages = new Map<string, number>()
let eventsCarried = 0
const hook = createServer((req, res) => {
  let body = ''
  req.on('data', (d: Buffer) => {
    body += d
  })
  req.on('end', () => {
    const n = JSON.parse(body) as { receiver: string; events: unknown[]; eventsOmitted: number }
    messages.set(n.receiver, (messages.get(n.receiver) ?? 0) + 1)
    eventsCarried += n.events.length + n.eventsOmitted
    res.end('ok')
  })
})
await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`
const config = await ConfigStore.open(nc)
const members = Array.from({ length: RECEIVERS }, (_, i) => `user-${i}`)
for (const name of members) await config.users.create(name, { name, imWebhook: `${hookUrl}/${name}` })
await config.teams.create('ops', { name: 'ops', members })

/** The storm's events, made before anything is timed. */
function storm(): Uint8Array[] {
  const t = Math.floor(Date.now() / 1000)
  const enc = new TextEncoder()
  return Array.from({ length: TOTAL }, (_, i) => {
    const hex = i.toString(16).padStart(15, '0')
    const e = testEvent({
      id: `a${hex}`,
      key: `b${hex}`,
      endpoint: `web-${i}`,
      metric: `disk.m${i % METRICS}`,
      timestamp: t,
    })
    e.strategy.priority = i % 100 === 0 ? 1 : 4
    return enc.encode(JSON.stringify(AlertEvent.parse(e)))
  })
}

/** Publishes at RATE a second; resolves with the publishing's seconds. */
async function publish(events: Uint8Array[], js = nc.jetstream()): Promise<number> {
  const t0 = performance.now()
  for (let i = 0; i < events.length; i += 500) {
    await Promise.all(events.slice(i, i + 500).map((e, k) => js.publish(eventsSubject(k % 4), e)))
    const due = t0 + ((i + 500) / RATE) * 1000
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
  }
  return (performance.now() - t0) / 1000
}

/** Seconds from t0 until the consumer has every message acknowledged. */
async function drained(consumer: string, t0: number): Promise<number> {
  for (;;) {
    const info = await jsm.consumers.info(EVENTS_STREAM, consumer)
    if (info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq > 0)
      return (performance.now() - t0) / 1000
    await sleep(50)
  }
}

const rssOf = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

// ---- Reference: a bare consumer parsing and acknowledging the same events.
async function reference(events: Uint8Array[]): Promise<{ seconds: number; perSecond: number }> {
  await jsm.consumers.add(EVENTS_STREAM, {
    durable_name: 'bare',
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: 20_000,
  })
  const consumer = await nc.jetstream().consumers.get(EVENTS_STREAM, 'bare')
  const messages = await consumer.consume({ max_messages: 256 })
  void (async () => {
    for await (const m of messages) {
      AlertEvent.parse(m.json())
      m.ack()
    }
  })()
  const t0 = performance.now()
  await publish(events)
  const seconds = await drained('bare', t0)
  await messages.close()
  await jsm.consumers.delete(EVENTS_STREAM, 'bare')
  return { seconds, perSecond: Math.round(events.length / seconds) }
}

async function withAlarm(events: Uint8Array[], bare: NatsConnection) {
  const alarm = startService(
    'alarm',
    {
      ...nats.env('service'),
      ALARM_OPS_PORT: '0',
      OUTBOUND_ALLOW_NETS: '127.0.0.0/8',
      ALARM_MERGE_WINDOW_SECONDS: '60',
    },
    join(dir.path, 'alarm.log'),
  )
  const pid = alarm.child.pid!
  for (let i = 0; ; i++) {
    const info = await jsm.consumers.info(EVENTS_STREAM, 'alarm').catch(() => null)
    if (info && info.num_waiting > 0) break
    if (i > 300) throw new Error('the alarm did not start consuming')
    await sleep(100)
  }
  await sleep(1000)
  const rssIdle = rssOf(pid)
  const cpu0 = cpuOf(pid)
  let rssMax = rssIdle
  const sampler = setInterval(() => {
    rssMax = Math.max(rssMax, rssOf(pid))
  }, 100)
  const t0 = performance.now()
  const publishSeconds = await publish(events, bare.jetstream())
  // Handled: acknowledged, which for a merged event waits for its window to close.
  const seconds = await drained('alarm', t0)
  clearInterval(sampler)
  const cpu = cpuOf(pid) - cpu0
  await stopService(alarm)
  return { publishSeconds, seconds, rssIdle, rssMax, cpu }
}

const events = storm()
const ref = await reference(events)
say(
  `reference (bare consumer): ${events.length} events taken in ${ref.seconds.toFixed(2)} s, ${ref.perSecond}/s`,
)
const bare = await connect(nats.connectOptions('service'))
const r = await withAlarm(events, bare)
const total = [...messages.values()].reduce((a, b) => a + b, 0)
const result = {
  date: new Date().toISOString(),
  node: process.version,
  loadBefore,
  loadAfter: load(),
  events: TOTAL,
  rate: RATE,
  receivers: RECEIVERS,
  metrics: METRICS,
  mergeWindowSeconds: WINDOW,
  maxInFlight: Number(args['max-in-flight']),
  published: { seconds: +r.publishSeconds.toFixed(2) },
  alarm: {
    allHandledSeconds: +r.seconds.toFixed(2),
    messages: total,
    messagesPerReceiver: Object.fromEntries(messages),
    eventsCarried,
    rssIdleMiB: +r.rssIdle.toFixed(1),
    rssMaxMiB: +r.rssMax.toFixed(1),
    cpuSeconds: +r.cpu.toFixed(2),
  },
  reference: { what: 'a bare consumer parsing and acknowledging the same events', ...ref },
}
console.log(JSON.stringify(result, null, 2))
await bare.close()
await nc.close()
await new Promise<void>((res) => hook.close(() => res()))
await nats.dispose()
process.exit(0)
