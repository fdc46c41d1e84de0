import { decimalDigits, FLOAT_BITS, floatBitsText, mantissaOf } from '@peregrine/common'
import type { JsMsg } from 'nats'
import type { SeriesEntry } from './series-cache.ts'

/**
 * Point rows as the TabSeparated bytes they are inserted as (POINT_COLUMNS: fp, counter, ts,
 * mantissa, exponent), written into one growing buffer as points arrive, so that a write only
 * hands the bytes over and no string is made per point.
 */
export class PointRows {
  #bytes = Buffer.allocUnsafe(INITIAL_BYTES)
  #length = 0
  count = 0
  /** The time span of the rows: ClickHouse refuses an insert touching too many daily partitions. */
  minTs = Number.POSITIVE_INFINITY
  maxTs = 0
  /** The minutes (bucket starts) the rows fall in: their rollups are rolled again once written. */
  readonly minutes = new Set<number>()
  #lastMinute = -1

  /** The rows so far (a view, valid until the next add). */
  get bytes(): Buffer {
    return this.#bytes.subarray(0, this.#length)
  }

  /** A point of `series` at `ts`, whose text followed by a tab is `tsTab`. */
  add(series: SeriesEntry, tsTab: Buffer, ts: number, value: number): void {
    this.#reserve(series.rowPrefix.length + tsTab.length + MAX_NUMBERS_BYTES)
    const b = this.#bytes
    let at = this.#length
    at += series.rowPrefix.copy(b, at)
    at += tsTab.copy(b, at)
    const digits = decimalDigits(value, series.digits)
    if (digits >= 0) {
      series.digits = digits
      at = writeInteger(b, at, mantissaOf(value, digits))
      b[at++] = TAB
      if (digits > 0) b[at++] = MINUS
      at = writeInteger(b, at, digits)
    } else {
      at += b.write(`${floatBitsText(value)}\t${FLOAT_BITS}`, at, 'latin1')
    }
    b[at++] = NEWLINE
    this.#length = at
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
    this.#reserve(bytes.length)
    this.#length += bytes.copy(this.#bytes, this.#length)
    this.count += other.count
    this.minTs = Math.min(this.minTs, other.minTs)
    this.maxTs = Math.max(this.maxTs, other.maxTs)
    for (const m of other.minutes) this.minutes.add(m)
  }

  #reserve(more: number): void {
    if (this.#length + more <= this.#bytes.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.#bytes.length * 2, this.#length + more))
    this.#bytes.copy(grown, 0, 0, this.#length)
    this.#bytes = grown
  }
}

const INITIAL_BYTES = 64 * 1024
/** Mantissa (or float bits, 20 characters), tab, exponent, newline: never more. */
const MAX_NUMBERS_BYTES = 32
const TAB = 0x09
const NEWLINE = 0x0a
const MINUS = 0x2d
const ZERO = 0x30
const scratch = Buffer.allocUnsafe(24)

/** Writes the decimal digits of a safe integer at `at`; returns where they end. */
function writeInteger(b: Buffer, at: number, n: number): number {
  let rest = n
  if (rest < 0) {
    b[at++] = MINUS
    rest = -rest
  }
  let i = scratch.length
  do {
    const next = Math.floor(rest / 10)
    scratch[--i] = ZERO + (rest - next * 10)
    rest = next
  } while (rest > 0)
  return at + scratch.copy(b, at, i)
}

/**
 * Everything one ClickHouse write will carry, and the messages to acknowledge once it succeeded.
 * Points of series whose definition is not confirmed yet are held per series until the write
 * looks the series up, so that refusing one definition never drops another's points.
 */
export class PendingBatch {
  readonly rows = new PointRows()
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
      h = new PointRows()
      this.held.set(e, h)
    }
    return h
  }
}
