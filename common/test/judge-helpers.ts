import type { JudgedStrategy, JudgeEvent, PointValue } from '../src/judge/index.ts'
import { StrategySpec } from '../src/schema.ts'

let n = 0

/** A parsed strategy (defaults applied) with an id: `cpu.busy all(#1) > 90` unless overridden. */
export function strategy(fields: Record<string, unknown> = {}): JudgedStrategy {
  const spec = StrategySpec.parse({
    name: `s${++n}`,
    metric: 'cpu.busy',
    fn: 'all',
    window: '#1',
    threshold: 90,
    ...fields,
  })
  return { ...spec, id: (fields.id as string | undefined) ?? `id-${n}` }
}

/** Points at the given timestamps with the given values. */
export function points(...pairs: [number, number][]): PointValue[] {
  return pairs.map(([timestamp, value]) => ({ timestamp, value }))
}

/** `60 PROBLEM 2 95`: timestamp, status, step, value, and `nodata` / `flapping` marks. */
export function brief(events: readonly JudgeEvent[]): string[] {
  return events.map(
    (e) =>
      `${e.timestamp} ${e.status} ${e.step} ${e.value}` +
      (e.kind === 'nodata' ? ' nodata' : '') +
      (e.flapping === undefined ? '' : ` flapping=${e.flapping}`),
  )
}
