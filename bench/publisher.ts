// Runs as its own process, like a fleet of agents would, so that generating and publishing load
// does not share the collector's event loop: the lag measured is the collector's own.
import { BatchBuilder, encodeBatch, metricsSubject } from '@peregrine/common'
import { connect } from 'nats'
import { advance, hostSeries, rng, type Shape } from './data.ts'

const { url, shape } = JSON.parse(process.argv[2] ?? '{}') as { url: string; shape: Shape }
const nc = await connect({ servers: url })
const js = nc.jetstream()
const hosts = Array.from({ length: shape.hosts }, (_, h) => hostSeries(h, shape))
const r = rng(42)
const inflight = new Set<Promise<unknown>>()
let bytes = 0
for (let c = 0; c < shape.cycles; c++) {
  const ts = shape.start + c * shape.step
  for (let h = 0; h < hosts.length; h++) {
    const host = hosts[h]!
    const values = advance(host, r)
    const b = new BatchBuilder({ host: host.defs[0]!.endpoint, agent: 'bench' })
    for (let i = 0; i < host.defs.length; i++) b.add(host.defs[i]!, ts, values[i]!)
    const data = encodeBatch(b.take())
    bytes += data.byteLength
    const p = js.publish(metricsSubject(host.defs[0]!.endpoint), data)
    inflight.add(p)
    void p.finally(() => inflight.delete(p))
    if (inflight.size >= 512) await Promise.race(inflight)
  }
}
await Promise.all(inflight)
await nc.close()
console.log(JSON.stringify({ bytes }))
