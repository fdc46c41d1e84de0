import type { NatsConnection } from 'nats'
import { BatchBuilder, type DecodeResult } from '../batch.ts'
import { BatchResolver } from '../batch-resolver.ts'
import { BatchDecoder } from '../wire.ts'
import { metricsSubject } from './names.ts'
import { seriesDefinitionSource } from './series-bucket.ts'

/**
 * Batch messages of either version as MetricBatch objects, a v2 batch's series looked up in its
 * sender's dictionary (inline definitions, then the series bucket through `nc`): for tests and
 * tools that inspect the stream or a spool, not for a hot path.
 */
export class MetricBatchReader {
  readonly #resolver: BatchResolver<string>

  constructor(nc: NatsConnection | null) {
    this.#resolver = new BatchResolver((key) => key, nc && seriesDefinitionSource(nc))
  }

  /** `subject`: where the message was published; by default its host's (a spooled message). */
  async read(data: Uint8Array, subject?: string): Promise<DecodeResult> {
    const peek = subject === undefined ? new BatchDecoder().decode(data) : null
    if (peek && !peek.ok) return peek
    const r = await this.#resolver.read(
      subject ?? metricsSubject(peek!.batch.source.host),
      data,
      (b) => b.series,
    )
    if (!r.ok) return r
    const { refs, ts, ts0, values, count } = r.points
    const b = new BatchBuilder(r.source)
    for (let i = 0; i < count; i++) {
      const key = r.series[refs[i]!]
      if (key === undefined) return { ok: false, error: `point ${i}: series ${refs[i]} unknown` }
      const v = values[i]
      b.addKey(
        key,
        ts === null ? ts0 : ts[i]!,
        v !== null && v !== undefined && Number.isFinite(v) ? v : null,
      )
    }
    return { ok: true, batch: b.take() }
  }
}
