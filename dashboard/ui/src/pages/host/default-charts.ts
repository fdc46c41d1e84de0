import type { MetricQuery } from '../../chart/history.ts'

/** One of the charts every host page shows: its metrics as the agent names them (docs/metrics.md). */
export interface HostChartDef {
  title: string
  unit?: string
  metrics: readonly { metric: string; untagged?: boolean }[]
}

// CPU shares are sent untagged for the whole host and again per core: the chart shows the whole.
const wholeHost = (metric: string) => ({ metric, untagged: true })

export const HOST_CHARTS: readonly HostChartDef[] = [
  {
    title: 'CPU',
    unit: '%',
    metrics: ['cpu.busy', 'cpu.user', 'cpu.system', 'cpu.iowait', 'cpu.idle'].map(wholeHost),
  },
  {
    title: 'Memory',
    unit: '%',
    metrics: [{ metric: 'mem.memused.percent' }, { metric: 'mem.swapused.percent' }],
  },
  { title: 'Load', metrics: [{ metric: 'load.1min' }, { metric: 'load.5min' }, { metric: 'load.15min' }] },
  { title: 'Disk space used', unit: '%', metrics: [{ metric: 'df.bytes.used.percent' }] },
  {
    title: 'Disk I/O',
    unit: 'B/s',
    metrics: [{ metric: 'disk.io.read_bytes' }, { metric: 'disk.io.write_bytes' }],
  },
  { title: 'Network', unit: 'B/s', metrics: [{ metric: 'net.if.in.bytes' }, { metric: 'net.if.out.bytes' }] },
]

/** The queries of a chart for one host, as loaded and as the explorer opens them. */
export function chartQueries(def: HostChartDef, host: string): MetricQuery[] {
  return def.metrics.map((m) => ({ endpoint: host, tags: '', ...m }))
}
