/**
 * Metrics kept by their owner and read when they are reported, in Prometheus' text format,
 * without prom-client: the agent, which runs on every host, keeps a dozen numbers and does not
 * load a metrics library for them (docs/agent.md). `registerReadMetrics` in
 * `@peregrine/common/metrics` puts the same metrics into a prom-client registry where one exists.
 */

export type Labels = Readonly<Record<string, string>>

export interface Sample {
  labels?: Labels
  value: number
}

export interface ReadMetric {
  /** Prometheus name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
  name: string
  help: string
  type: 'counter' | 'gauge'
  /** The label names the samples carry (prom-client wants them up front). */
  labelNames?: readonly string[]
  /** The samples now, one per label set. */
  read(): readonly Sample[]
}

const escapeHelp = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')
const escapeLabel = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('\n', '\\n').replaceAll('"', '\\"')

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN'
  if (v === Number.POSITIVE_INFINITY) return '+Inf'
  if (v === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(v)
}

/** The text exposition format 0.0.4 (`text/plain; version=0.0.4`) of the metrics, in their order. */
export function metricsText(metrics: readonly ReadMetric[]): string {
  const lines: string[] = []
  for (const m of metrics) {
    lines.push(`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`)
    for (const { labels, value } of m.read()) {
      const pairs = Object.entries(labels ?? {}).map(([k, v]) => `${k}="${escapeLabel(v)}"`)
      lines.push(`${m.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`)
    }
  }
  return `${lines.join('\n')}\n`
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8'
