// Judge evaluator micro-benchmark: points evaluated per second on one core, and bytes held per
// series, for --series series (100,000) each under one strategy `cpu.idle all(#3) < 10`.
// Everything in one thread, no I/O: the evaluator alone (common/src/judge), as the judge service
// will call it per point.
// Usage: node --import tsx bench/judge-eval.ts [--series 100000 --rounds 100]

import { parseArgs } from 'node:util'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Evaluator, type JudgeEvent, type SeriesHandle } from '@peregrine/common/judge'
import { StrategySpec } from '@peregrine/common/schema'

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '100' },
  },
})
const SERIES = Number(args.series)
const ROUNDS = Number(args.rounds)
const STEP = 10

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
function heldBytes(): number {
  gc()
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

const strategies = [
  {
    ...StrategySpec.parse({
      name: 'idle',
      metric: 'cpu.idle',
      fn: 'all',
      window: '#3',
      operator: '<',
      threshold: 10,
    }),
    id: 's1',
  },
]

/** A cheap deterministic value in [0, 100): the condition is true now and then (3 in a row < 10). */
let seed = 42
function next(): number {
  seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff
  return (seed % 10_000) / 100
}

const base = heldBytes()
const evaluator = new Evaluator()
const handles: SeriesHandle[] = new Array(SERIES)
const out: JudgeEvent[] = []
const t0 = 1_700_000_000
for (let i = 0; i < SERIES; i++)
  handles[i] = evaluator.series({
    endpoint: `host-${i}`,
    metric: 'cpu.idle',
    tags: '',
    counterType: 'GAUGE',
    step: STEP,
  })
// Three points each: every window full, every series bound to its strategy.
for (let r = 0; r < 3; r++)
  for (let i = 0; i < SERIES; i++) evaluator.add(handles[i]!, t0 + r * STEP, next(), strategies, out)
const held = heldBytes() - base
out.length = 0

let events = 0
let points = 0
const start = process.hrtime.bigint()
for (let r = 3; r < 3 + ROUNDS; r++) {
  const ts = t0 + r * STEP
  for (let i = 0; i < SERIES; i++) evaluator.add(handles[i]!, ts, next(), strategies, out)
  points += SERIES
  events += out.length
  out.length = 0
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
console.log(
  `node ${process.version}, ${SERIES.toLocaleString('en-US')} series × 1 strategy all(#3), ${ROUNDS} rounds`,
)
console.log(
  `points evaluated: ${fmt(points)} in ${seconds.toFixed(2)} s = ${fmt(points / seconds)} points/s on one core`,
)
console.log(`events raised: ${fmt(events)}`)
console.log(
  `held: ${(held / 1024 / 1024).toFixed(1)} MiB = ${fmt(held / SERIES)} bytes per series (heap + array buffers after GC, series identity strings included)`,
)
