import { type CounterType, fingerprint, type SeriesDef } from '@peregrine/common'

/**
 * Points shaped like real host metrics: percentages that random-walk with 0.01 resolution (as the
 * agent rounds them), integer gauges that drift, monotonic counters whose rate drifts, and
 * near-constant values (sizes, limits), over repeated tag sets.
 */
export interface Shape {
  hosts: number
  metricsPerHost: number
  cycles: number
  step: number
  start: number
}

type Kind = 'percent' | 'integer' | 'counter' | 'constant'
const KINDS: Kind[] = ['percent', 'percent', 'integer', 'counter', 'counter', 'constant']

export interface HostSeries {
  defs: SeriesDef[]
  kinds: Kind[]
  state: Float64Array
  rate: Float64Array
}

/** A small deterministic PRNG, so the reference and the pipeline see identical data. */
export function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function hostSeries(host: number, shape: Shape): HostSeries {
  const endpoint = `bench-host-${String(host).padStart(4, '0')}`
  const defs: SeriesDef[] = []
  const kinds: Kind[] = []
  for (let m = 0; m < shape.metricsPerHost; m++) {
    const kind = KINDS[m % KINDS.length]!
    const counterType: CounterType = kind === 'counter' ? 'COUNTER' : 'GAUGE'
    defs.push({
      endpoint,
      metric: `bench.${kind}.${Math.floor(m / 10)}`,
      tags: `idx=${m % 10},svc=bench`,
      counterType,
      step: shape.step,
    })
    kinds.push(kind)
  }
  const r = rng(host + 1)
  const state = new Float64Array(shape.metricsPerHost)
  const rate = new Float64Array(shape.metricsPerHost)
  kinds.forEach((k, i) => {
    state[i] =
      k === 'percent'
        ? Math.round(r() * 10000) / 100
        : k === 'counter'
          ? Math.floor(r() * 1e9)
          : Math.floor(r() * 1000)
    rate[i] = Math.floor(r() * 5000)
  })
  return { defs, kinds, state, rate }
}

/** Advances every series of a host by one cycle and returns the new values (in `state`). */
export function advance(h: HostSeries, r: () => number): Float64Array {
  for (let i = 0; i < h.kinds.length; i++) {
    const v = h.state[i]!
    switch (h.kinds[i]) {
      case 'percent':
        h.state[i] = Math.min(100, Math.max(0, Math.round((v + (r() - 0.5) * 2) * 100) / 100))
        break
      case 'integer':
        h.state[i] = Math.max(0, v + Math.round((r() - 0.5) * 4))
        break
      case 'counter':
        h.rate[i] = Math.max(0, h.rate[i]! + Math.round((r() - 0.5) * 100))
        h.state[i] = v + h.rate[i]!
        break
      default:
        if (r() < 0.01) h.state[i] = v + 1
    }
  }
  return h.state
}

export const fingerprints = (h: HostSeries) => h.defs.map((d) => fingerprint(d))

/** The benchmarks' shape: a 10 s step from yesterday's midnight (UTC), inside every retention. */
export function benchShape(o: { hosts: number; metricsPerHost: number; cycles: number }): Shape {
  return { ...o, step: 10, start: Math.floor(Date.now() / 1000 / 86_400) * 86_400 - 86_400 }
}

/**
 * The data set: every host's values cycle by cycle, from one PRNG, so that whoever consumes it
 * (the publisher, a direct insert, another database) gets the same points in the same order.
 * `values` is the host's state, overwritten by the next cycle: use it before pulling the next.
 */
export function* cycles(
  shape: Shape,
): Generator<{ ts: number; h: number; host: HostSeries; values: Float64Array }> {
  const hosts = Array.from({ length: shape.hosts }, (_, h) => hostSeries(h, shape))
  const r = rng(42)
  for (let c = 0; c < shape.cycles; c++) {
    const ts = shape.start + c * shape.step
    for (const [h, host] of hosts.entries()) yield { ts, h, host, values: advance(host, r) }
  }
}
