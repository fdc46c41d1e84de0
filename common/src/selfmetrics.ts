import { hostname } from 'node:os'
import type { NatsConnection } from 'nats'
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client'
import { BatchBuilder, encodeBatch } from './batch.ts'
import type { ReadMetric } from './exposition.ts'
import type { Logger } from './log.ts'
import { metricsSubject } from './nats/names.ts'
import { type CounterType, tagsFromRecord } from './points.ts'

export { Registry }

/** A registry per service, so several services (or tests) share a process without name clashes. */
export function createRegistry(withProcessMetrics = false): Registry {
  const registry = new Registry()
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: 'peregrine_' })
  return registry
}

/**
 * Puts metrics that their owner keeps (the agent's, `@peregrine/common/exposition`) into a
 * prom-client registry: each is read whenever the registry is.
 */
export function registerReadMetrics(registry: Registry, metrics: readonly ReadMetric[]): void {
  for (const m of metrics) {
    const common = {
      name: m.name,
      help: m.help,
      labelNames: [...(m.labelNames ?? [])],
      registers: [registry],
    }
    if (m.type === 'counter')
      new Counter({
        ...common,
        collect() {
          this.reset()
          for (const s of m.read()) this.inc(s.labels ?? {}, s.value)
        },
      })
    else
      new Gauge({
        ...common,
        collect() {
          this.reset()
          for (const s of m.read()) this.set(s.labels ?? {}, s.value)
        },
      })
  }
}

/** The `agent` of self-metrics batches: published by a Peregrine process, not by the host's agent. */
export const SELF_REPORT_AGENT = 'self'

/** prom-client's JSON shape turned into points: counters as COUNTER, the rest as GAUGE. */
export async function registriesToBatch(registries: Registry[], endpoint: string, step: number, now: number) {
  const b = new BatchBuilder({ host: endpoint, agent: SELF_REPORT_AGENT })
  const ts = now - (now % step)
  for (const registry of registries) {
    for (const m of (await registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[]) {
      const counterType: CounterType = String(m.type) === 'counter' ? 'COUNTER' : 'GAUGE'
      for (const v of m.values) {
        const name = (v as { metricName?: string }).metricName ?? m.name
        if (name.endsWith('_bucket')) continue
        const metric = name.replaceAll('_', '.')
        const tags = tagsFromRecord(
          Object.fromEntries(Object.entries(v.labels).map(([k, val]) => [k, String(val)])),
        )
        const type = name.endsWith('_count') || name.endsWith('_sum') ? 'COUNTER' : counterType
        b.add({ endpoint, metric, tags, counterType: type, step }, ts, v.value)
      }
    }
  }
  return b.take()
}

/**
 * Self-monitoring: every `step` seconds the process's own metrics go into Peregrine like any
 * host's, under endpoint = this host. Failures are logged, never thrown: monitoring must not
 * take its own service down.
 */
export function startSelfReport(
  nc: NatsConnection,
  registries: Registry[],
  o: { step: number; log: Logger; endpoint?: string },
): { stop(): void } {
  const endpoint = o.endpoint ?? hostname()
  const js = nc.jetstream()
  const timer = setInterval(async () => {
    try {
      const batch = await registriesToBatch(registries, endpoint, o.step, Math.floor(Date.now() / 1000))
      await js.publish(metricsSubject(endpoint), encodeBatch(batch))
    } catch (err) {
      o.log.warn({ err }, 'self-metrics report failed')
    }
  }, o.step * 1000)
  timer.unref()
  return { stop: () => clearInterval(timer) }
}
