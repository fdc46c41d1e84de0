// The load generator, as its own process (like a fleet of agents): it encodes every batch first,
// says "ready", and publishes them all as fast as JetStream acknowledges once told "go", so that
// during the timed phase it spends no CPU on building data the agents would build on their hosts.
import { createInterface } from 'node:readline'
import {
  BatchBuilder,
  encodeBatch,
  metricsSubject,
  type NatsClientConfig,
  natsConnectionOptions,
} from '@peregrine/common'
import { connect } from 'nats'
import { cycles, type Shape } from './data.ts'

const { natsClient, shape } = JSON.parse(process.argv[2] ?? '{}') as {
  natsClient: NatsClientConfig
  shape: Shape
}
const messages: { subject: string; data: Uint8Array }[] = []
let bytes = 0
for (const { ts, host, values } of cycles(shape)) {
  const b = new BatchBuilder({ host: host.defs[0]!.endpoint, agent: 'bench' })
  for (let i = 0; i < host.defs.length; i++) b.add(host.defs[i]!, ts, values[i]!)
  const data = encodeBatch(b.take())
  bytes += data.byteLength
  messages.push({ subject: metricsSubject(host.defs[0]!.endpoint), data })
}
const nc = await connect(await natsConnectionOptions(natsClient))
const js = nc.jetstream()
console.log(JSON.stringify({ ready: true, bytes }))
for await (const line of createInterface({ input: process.stdin })) if (line === 'go') break

const inflight = new Set<Promise<unknown>>()
for (const m of messages) {
  const p = js.publish(m.subject, m.data)
  inflight.add(p)
  void p.finally(() => inflight.delete(p))
  if (inflight.size >= 512) await Promise.race(inflight)
}
await Promise.all(inflight)
await nc.close()
console.log(JSON.stringify({ done: true }))
