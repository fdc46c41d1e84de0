import type { HistoryResponse, HistorySeries } from '../types.ts'

/**
 * A history series as the charts hold it: its points in two Float64Arrays, NaN where the API
 * answered null. Typed arrays cross from the worker that decodes them without a copy, and are
 * the fastest to walk when drawing.
 */
export interface ColumnSeries extends Omit<HistorySeries, 'timestamps' | 'values' | 'min' | 'max'> {
  timestamps: Float64Array
  values: Float64Array
}

export interface ColumnHistory {
  from: number
  to: number
  series: ColumnSeries[]
}

export function toColumns(answer: HistoryResponse): ColumnHistory {
  return {
    from: answer.from,
    to: answer.to,
    series: answer.series.map(({ timestamps, values, min: _min, max: _max, ...info }) => ({
      ...info,
      timestamps: Float64Array.from(timestamps),
      values: Float64Array.from(values, (v) => v ?? Number.NaN),
    })),
  }
}

/** The buffers to move (not copy) with a postMessage. */
export const buffersOf = (h: ColumnHistory): ArrayBuffer[] =>
  h.series.flatMap((s) => [s.timestamps.buffer as ArrayBuffer, s.values.buffer as ArrayBuffer])
