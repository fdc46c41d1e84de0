import type { MetricBatch } from './batch.ts'
import { type DefinitionSource, SeriesDictionary, type SeriesDictionaryOptions } from './series-dictionary.ts'
import { BatchDecoder, type PointColumns, v1Columns, type WireBatch } from './wire.ts'

/** A batch message decoded, with the series of its points resolved. */
export interface ResolvedBatch<T> {
  ok: true
  source: { host: string; agent: string }
  points: PointColumns
  /** The series of point i is series[points.refs[i]]; undefined when it is not known. */
  series: ArrayLike<T | undefined>
}

export type BatchRead<T> = ResolvedBatch<T> | { ok: false; error: string }

/**
 * How the collector and the judge read batch messages of either version: decoded, and each
 * point's series resolved to what the receiver keeps for it (`T`), once per series rather than
 * once per point. A v2 batch's series come from its sender's dictionary (SeriesDictionary).
 */
export class BatchResolver<T> {
  readonly #decoder = new BatchDecoder()
  readonly dictionary: SeriesDictionary<T>

  constructor(
    resolveKey: (key: string) => T,
    source: DefinitionSource | null,
    options: SeriesDictionaryOptions = {},
  ) {
    this.dictionary = new SeriesDictionary(resolveKey, source, options)
  }

  /**
   * Reads a message published on `subject`; `v1` resolves a v1 batch's series. A result returned
   * as is may hold the decoder's buffer: read its points before the next read. A promise is
   * returned only when the dictionary has ids to look up; its result owns its buffers.
   */
  read(
    subject: string,
    data: Uint8Array,
    v1: (b: MetricBatch) => ArrayLike<T | undefined>,
  ): BatchRead<T> | Promise<BatchRead<T>> {
    const d = this.#decoder.decode(data)
    if (!d.ok) return d
    if (d.v === 1)
      return { ok: true, source: d.batch.source, points: v1Columns(d.batch), series: v1(d.batch) }
    const series = this.dictionary.values(subject, d.batch)
    if (series === null) return this.#loadThenRead(subject, data, d.batch)
    return { ok: true, source: d.batch.source, points: d.batch, series }
  }

  async #loadThenRead(subject: string, data: Uint8Array, w: WireBatch): Promise<BatchRead<T>> {
    await this.dictionary.load(subject, w)
    // A decoder of its own: the shared one may serve other messages while this one waits.
    const again = new BatchDecoder().decode(data) as { ok: true; v: 2; batch: WireBatch }
    const series = this.dictionary.values(subject, again.batch, false)!
    return { ok: true, source: again.batch.source, points: again.batch, series }
  }
}
