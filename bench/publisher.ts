// The load generator, as its own process (like a fleet of agents): it encodes every batch first,
// says "ready", and publishes them all as fast as JetStream acknowledges once told "go", so that
// during the timed phase it spends no CPU on building data the agents would build on their hosts.
// Batches are v2, each host with its own dictionary, as agents send them: a host's first message
// defines its series inline and saves them to the series bucket; once saved, messages carry ids only.
import { createInterface } from 'node:readline'
import {
  BatchBuilder,
  metricsSubject,
  type NatsClientConfig,
  natsConnectionOptions,
  seriesDefinitionsWriter,
  WireSender,
} from '@peregrine/common'
import { connect } from 'nats'
import { cycles, type Shape } from './data.ts'

const { natsClient, shape } = JSON.parse(process.argv[2] ?? '{}') as {
  natsClient: NatsClientConfig
  shape: Shape
}
const nc = await connect(await natsConnectionOptions(natsClient))
const senders = new Map<number, WireSender>()
const messages: { subject: string; data: Uint8Array }[] = []
let bytes = 0
for (const { ts, h, host, values } of cycles(shape)) {
  const endpoint = host.defs[0]!.endpoint
  const subject = metricsSubject(endpoint)
  let sender = senders.get(h)
  const first = sender === undefined
  sender ??= new WireSender(seriesDefinitionsWriter(nc, subject))
  senders.set(h, sender)
  const b = new BatchBuilder({ host: endpoint, agent: 'bench' })
  for (let i = 0; i < host.defs.length; i++) b.add(host.defs[i]!, ts, values[i]!)
  const data = sender.encode(b.take(), false)
  // An agent's next cycle comes a step later, its definitions saved by then.
  if (first) await sender.settle()
  bytes += data.byteLength
  messages.push({ subject, data })
}
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
