// The capacity benchmark's load: `hosts` hosts of `perHost` series each (metric bench.cap, tag
// i=<n>), one batch message per host per cycle on the host's metrics subject, as agents send
// them. Messages are encoded ahead when asked (`encode`), so that publishing (`publish`) costs
// this process little more than the writes; the benchmark times the judge, not this.
import { metricsSubject, type NatsClientConfig, natsConnectionOptions, seriesKey } from '@peregrine/common'
import { connect } from 'nats'

const { natsClient, hosts, perHost } = JSON.parse(process.argv[2] ?? '{}') as {
  natsClient: NatsClientConfig
  hosts: number
  perHost: number
}

export const hostName = (h: number) => `cap-host-${String(h).padStart(5, '0')}`

/** Per host: its subject and the constant head of its message (source, series, refs). */
const heads = Array.from({ length: hosts }, (_, h) => {
  const host = hostName(h)
  const series = Array.from({ length: perHost }, (_, i) =>
    seriesKey({ endpoint: host, metric: 'bench.cap', tags: `i=${i}`, counterType: 'GAUGE', step: 10 }),
  )
  const refs = Array.from({ length: perHost }, (_, i) => i).join(',')
  const head = `{"v":1,"source":${JSON.stringify({ host, agent: 'bench' })},"series":${JSON.stringify(series)},"refs":[${refs}],"ts":[`
  return { subject: metricsSubject(host), head }
})

let seed = 42
/** Values in [0, 100) at 0.01 resolution, as host metrics look. */
function value(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
  return (seed % 10_000) / 100
}

function encodeCycle(ts: number): { subject: string; data: Buffer }[] {
  const tsList = `${ts},`.repeat(perHost - 1) + ts
  return heads.map(({ subject, head }) => {
    const values = new Array<number>(perHost)
    for (let i = 0; i < perHost; i++) values[i] = value()
    return { subject, data: Buffer.from(`${head}${tsList}],"values":[${values.join(',')}]}`) }
  })
}

const nc = await connect(await natsConnectionOptions(natsClient))
const js = nc.jetstream()
let queued: { subject: string; data: Buffer }[] = []

async function publishAll(): Promise<void> {
  const batch = queued
  queued = []
  const inflight = new Set<Promise<unknown>>()
  for (const m of batch) {
    const p = js.publish(m.subject, m.data)
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
    if (inflight.size >= 256) await Promise.race(inflight)
  }
  await Promise.all(inflight)
}

type Command = { cmd: 'encode'; ts: number[] } | { cmd: 'publish' } | { cmd: 'drop' } | { cmd: 'stop' }
process.on('message', async (m: { id: number } & Command) => {
  if (m.cmd === 'encode') {
    let bytes = 0
    for (const ts of m.ts)
      for (const msg of encodeCycle(ts)) {
        queued.push(msg)
        bytes += msg.data.byteLength
      }
    process.send?.({ id: m.id, encoded: queued.length, bytes })
  } else if (m.cmd === 'publish') {
    const t = performance.now()
    await publishAll()
    process.send?.({ id: m.id, published: true, ms: performance.now() - t })
  } else if (m.cmd === 'drop') {
    queued = []
    process.send?.({ id: m.id, dropped: true })
  } else {
    await nc.close()
    process.exit(0)
  }
})
process.on('disconnect', () => process.exit(1))
process.send?.({ started: true })
