import { FaultInjectingStore } from '@peregrine/common/testing'

/**
 * The real engine behind two faults: an outage (every insert fails as a lost connection would)
 * and a poisoned series, whose point rows are garbled on the way in so that ClickHouse itself
 * refuses the insert that carries them.
 */
export class FaultyStore extends FaultInjectingStore {
  down = false
  poisonFp: string | null = null

  override async insertTsv(
    table: string,
    columns: readonly string[],
    body: string | Uint8Array,
  ): Promise<void> {
    if (this.down) throw Object.assign(new Error('injected: storage unreachable'), { code: 'ECONNREFUSED' })
    const poison = this.poisonFp
    // Rows are fp, counter, ts, mantissa, exponent: the poisoned series' mantissa becomes text.
    const rows =
      poison && table === 'samples'
        ? Buffer.from(body)
            .toString('latin1')
            .replace(new RegExp(`^${poison}\\t(\\d+)\\t(\\d+)\\t.*$`, 'gm'), `${poison}\t$1\t$2\tgarbage\t0`)
        : body
    await super.insertTsv(table, columns, rows)
  }
}
