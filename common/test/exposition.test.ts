import { createRegistry, metricsText, type ReadMetric, registerReadMetrics } from '@peregrine/common'
import { describe, expect, it } from 'vitest'

const state = { bytes: 5, dropped: { refused: 2, unreadable: 0 }, cycles: 3 }
const metrics: ReadMetric[] = [
  { name: 'x_bytes', help: 'Bytes\\waiting\nnow', type: 'gauge', read: () => [{ value: state.bytes }] },
  {
    name: 'x_dropped',
    help: 'Dropped',
    type: 'gauge',
    labelNames: ['reason'],
    read: () => Object.entries(state.dropped).map(([reason, value]) => ({ labels: { reason }, value })),
  },
  { name: 'x_cycles_total', help: 'Cycles', type: 'counter', read: () => [{ value: state.cycles }] },
  {
    name: 'x_odd',
    help: 'Odd',
    type: 'gauge',
    labelNames: ['l'],
    read: () => [
      { labels: { l: 'a"b\\c\nd' }, value: Number.NaN },
      { labels: { l: 'inf' }, value: Number.POSITIVE_INFINITY },
    ],
  },
]

describe('metrics kept by their owner', () => {
  it('are written in the text exposition format, escaped, read anew each time', () => {
    expect(metricsText(metrics)).toBe(
      [
        '# HELP x_bytes Bytes\\\\waiting\\nnow',
        '# TYPE x_bytes gauge',
        'x_bytes 5',
        '# HELP x_dropped Dropped',
        '# TYPE x_dropped gauge',
        'x_dropped{reason="refused"} 2',
        'x_dropped{reason="unreadable"} 0',
        '# HELP x_cycles_total Cycles',
        '# TYPE x_cycles_total counter',
        'x_cycles_total 3',
        '# HELP x_odd Odd',
        '# TYPE x_odd gauge',
        'x_odd{l="a\\"b\\\\c\\nd"} NaN',
        'x_odd{l="inf"} +Inf',
        '',
      ].join('\n'),
    )
    state.cycles = 4
    expect(metricsText(metrics)).toContain('x_cycles_total 4\n')
  })

  it('show the same values through a prom-client registry', async () => {
    const registry = createRegistry()
    registerReadMetrics(registry, metrics)
    state.bytes = 7
    state.cycles = 9
    const text = await registry.metrics()
    expect(text).toContain('# TYPE x_cycles_total counter\nx_cycles_total 9\n')
    expect(text).toContain('x_bytes 7\n')
    expect(text).toContain('x_dropped{reason="refused"} 2\n')
    // Read twice: a counter is set to what its owner says, not added to.
    expect(await registry.metrics()).toContain('x_cycles_total 9\n')
  })
})
