import type { JsMsg } from 'nats'

/** Points as three parallel columns, the shape they are inserted in. */
export class PointRows {
  fps: string[] = []
  ts: number[] = []
  values: number[] = []

  get length(): number {
    return this.fps.length
  }

  push(fp: string, ts: number, value: number): void {
    this.fps.push(fp)
    this.ts.push(ts)
    this.values.push(value)
  }

  append(other: PointRows): void {
    for (let i = 0; i < other.length; i++) this.push(other.fps[i]!, other.ts[i]!, other.values[i]!)
  }

  toTsv(): string {
    let body = ''
    for (let i = 0; i < this.fps.length; i++) body += `${this.fps[i]}\t${this.ts[i]}\t${this.values[i]}\n`
    return body
  }
}

/**
 * Everything one ClickHouse write will carry, and the messages to acknowledge once it succeeded.
 * Points of re-delivered messages are kept apart: they may already be stored, and are checked
 * before insert so that rollups do not count them twice.
 */
export class PendingBatch {
  fresh = new PointRows()
  suspect = new PointRows()
  seriesRows: string[] = []
  endpointRows: string[] = []
  messages: JsMsg[] = []
  readonly startedAt = Date.now()

  get points(): number {
    return this.fresh.length + this.suspect.length
  }

  /** A batch whose write failed once may have been stored in part: every point becomes suspect. */
  markAllSuspect(): void {
    this.suspect.append(this.fresh)
    this.fresh = new PointRows()
  }
}
