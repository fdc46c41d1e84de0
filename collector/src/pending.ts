import { decimalDigits, FLOAT_BITS, mantissaOf } from '@peregrine/common'
import type { JsMsg } from 'nats'
import type { SeriesEntry } from './series-cache.ts'

/** The samples table's columns the collector writes, in the order of its rows. */
export const POINT_COLUMNS = ['fp', 'counter', 'ts', 'mantissa', 'exponent'] as const
/** The same, as RowBinary reads them: 22 bytes a row. */
export const POINT_STRUCTURE = 'fp UInt64, counter UInt8, ts UInt32, mantissa Int64, exponent Int8'
export const ROW_BYTES = 22
/** Where `ts` starts in a row: after the series' prefix (fp, counter). */
export const TS_OFFSET = 9
const MANTISSA_OFFSET = 13
const EXPONENT_OFFSET = 21
const TWO_32 = 2 ** 32

/**
 * Point rows as the RowBinary bytes they are inserted as (POINT_COLUMNS), written into one growing
 * buffer as points arrive: a write only hands the bytes over, and a point costs no string, no
 * digits and no allocation.
 */
export class PointRows {
  #bytes: Buffer
  #length = 0
  count = 0
  /** The time span of the rows: ClickHouse refuses an insert touching too many daily partitions. */
  minTs = Number.POSITIVE_INFINITY
  maxTs = 0
  /** The minutes (bucket starts) the rows fall in: their rollups are rolled again once written. */
  readonly minutes = new Set<number>()
  #lastMinute = -1

  /** `rows`: room for that many before the buffer grows (a batch's main rows, or one held series'). */
  constructor(rows: number) {
    this.#bytes = Buffer.allocUnsafe(rows * ROW_BYTES)
  }

  /** The rows so far (a view, valid until the next add). */
  get bytes(): Buffer {
    return this.#bytes.subarray(0, this.#length)
  }

  /** A point of `series` at `ts` (aligned). */
  add(series: SeriesEntry, ts: number, value: number): void {
    if (this.#length + ROW_BYTES > this.#bytes.length) this.#grow(ROW_BYTES)
    const b = this.#bytes
    const at = this.#length
    const prefix = series.rowPrefix
    for (let i = 0; i < TS_OFFSET; i++) b[at + i] = prefix[i]!
    b.writeUInt32LE(ts, at + TS_OFFSET)
    const digits = decimalDigits(value, series.digits)
    if (digits >= 0) {
      series.digits = digits
      const m = mantissaOf(value, digits)
      // Two's complement across two words: the low word modulo 2^32, the high one floored.
      b.writeUInt32LE(m >>> 0, at + MANTISSA_OFFSET)
      b.writeInt32LE(Math.floor(m / TWO_32), at + MANTISSA_OFFSET + 4)
      b[at + EXPONENT_OFFSET] = -digits & 0xff
    } else {
      b.writeDoubleLE(value, at + MANTISSA_OFFSET)
      b[at + EXPONENT_OFFSET] = FLOAT_BITS & 0xff
    }
    this.#length = at + ROW_BYTES
    this.count++
    if (ts < this.minTs) this.minTs = ts
    if (ts > this.maxTs) this.maxTs = ts
    const minute = ts - (ts % 60)
    if (minute !== this.#lastMinute) {
      this.#lastMinute = minute
      this.minutes.add(minute)
    }
  }

  append(other: PointRows): void {
    const bytes = other.bytes
    if (this.#length + bytes.length > this.#bytes.length) this.#grow(bytes.length)
    this.#length += bytes.copy(this.#bytes, this.#length)
    this.count += other.count
    this.minTs = Math.min(this.minTs, other.minTs)
    this.maxTs = Math.max(this.maxTs, other.maxTs)
    for (const m of other.minutes) this.minutes.add(m)
  }

  #grow(more: number): void {
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + more))
    this.#bytes.copy(grown, 0, 0, this.#length)
    this.#bytes = grown
  }
}

/** Rows a batch's buffer has room for at first, and a held series' (most hold a point or two). */
const BATCH_ROWS = 16_384
const HELD_ROWS = 4

/**
 * Everything one ClickHouse write will carry, and the messages to acknowledge once it succeeded.
 * Points of series whose definition is not confirmed yet are held per series until the write
 * looks the series up, so that refusing one definition never drops another's points.
 */
export class PendingBatch {
  readonly rows = new PointRows(BATCH_ROWS)
  readonly held = new Map<SeriesEntry, PointRows>()
  seriesRows: string[] = []
  endpointRows: string[] = []
  messages: JsMsg[] = []
  readonly startedAt = Date.now()

  get points(): number {
    let n = this.rows.count
    for (const h of this.held.values()) n += h.count
    return n
  }

  /** Where a point of the unconfirmed series `e` waits. */
  heldRows(e: SeriesEntry): PointRows {
    let h = this.held.get(e)
    if (!h) {
      h = new PointRows(HELD_ROWS)
      this.held.set(e, h)
    }
    return h
  }
}
