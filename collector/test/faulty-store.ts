import { FaultInjectingStore } from '@peregrine/common/testing'

/**
 * The real engine behind two faults: an outage (every insert fails as a lost connection would)
 * and a poisoned series, whose point rows are garbled on the way in so that ClickHouse itself
 * refuses the insert that carries them.
 */
export class FaultyStore extends FaultInjectingStore {
  down = false
  poisonFp: string | null = null

  override async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    this.#failIfDown()
    await super.insertTsv(table, columns, body)
  }

  /** Rows are RowBinary (collector/src/pending.ts): a poisoned series' rows get a byte too many. */
  override async insertRowBinary(
    table: string,
    columns: readonly string[],
    structure: string,
    body: Uint8Array,
  ): Promise<void> {
    this.#failIfDown()
    const poison = this.poisonFp === null ? null : Buffer.alloc(8)
    if (poison) poison.writeBigUInt64LE(BigInt(this.poisonFp!))
    const poisoned = poison !== null && table === 'samples' && Buffer.from(body).includes(poison)
    await super.insertRowBinary(
      table,
      columns,
      structure,
      poisoned ? Buffer.concat([body, Buffer.from([1])]) : body,
    )
  }

  #failIfDown(): void {
    if (this.down) throw Object.assign(new Error('injected: storage unreachable'), { code: 'ECONNREFUSED' })
  }
}
