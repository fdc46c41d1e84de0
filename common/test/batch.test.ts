import { describe, expect, it } from 'vitest'
import {
  BatchBuilder,
  decodeBatch,
  encodeBatches,
  MAX_BATCH_POINTS,
  MAX_BATCH_SERIES,
  type MetricBatch,
  splitSeriesKey,
} from '../src/batch.ts'

const source = { host: 'h', agent: 'test' }

function batch(points: number, seriesCount: number, metricLength = 10): MetricBatch {
  const b = new BatchBuilder(source)
  for (let i = 0; i < points; i++) {
    const metric = `m${i % seriesCount}`.padEnd(metricLength, 'x')
    b.add({ endpoint: 'h', metric, tags: '', counterType: 'GAUGE', step: 10 }, 1_700_000_000 + i, i)
  }
  return b.take()
}

/** The points of decoded messages in order, as [metric, ts, value]. */
function points(batches: MetricBatch[]) {
  return batches.flatMap((b) =>
    b.refs.map((ref, i) => [splitSeriesKey(b.series[ref]!)?.metric, b.ts[i], b.values[i]]),
  )
}

const decodeAll = (parts: { data: Uint8Array }[]) =>
  parts.map((p) => {
    const d = decodeBatch(p.data)
    if (!d.ok) throw new Error(d.error)
    return d.batch
  })

describe('encodeBatches', () => {
  it('keeps a batch that fits as one message', () => {
    const parts = encodeBatches(batch(100, 10))
    expect(parts).toHaveLength(1)
    expect(parts[0]?.points).toBe(100)
  })

  it('cuts by points and by distinct series, keeping every point in order', () => {
    const many = batch(MAX_BATCH_POINTS + 1000, MAX_BATCH_SERIES + 10)
    const parts = encodeBatches(many, Number.MAX_SAFE_INTEGER)
    const decoded = decodeAll(parts)
    expect(parts.length).toBeGreaterThan(1)
    for (const b of decoded) {
      expect(b.refs.length).toBeLessThanOrEqual(MAX_BATCH_POINTS)
      expect(b.series.length).toBeLessThanOrEqual(MAX_BATCH_SERIES)
    }
    expect(parts.reduce((n, p) => n + p.points, 0)).toBe(many.refs.length)
    expect(points(decoded)).toEqual(points([many]))
  })

  it('cuts by encoded bytes, counting long names', () => {
    const long = batch(2000, 2000, 500)
    const parts = encodeBatches(long, 100_000)
    expect(parts.length).toBeGreaterThanOrEqual(Math.ceil((2000 * 520) / 100_000))
    for (const p of parts) expect(p.data.byteLength).toBeLessThanOrEqual(100_000)
    expect(points(decodeAll(parts))).toEqual(points([long]))
  })
})
