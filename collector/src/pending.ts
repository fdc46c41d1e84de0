import type { JsMsg } from 'nats'

/**
 * Point rows as the TabSeparated text they are inserted as (`fp\tts\tvalue\n`), built as points
 * arrive so that a write only hands the text over.
 */
export class PointRows {
  text = ''
  count = 0
  /** The time span of the rows: ClickHouse refuses an insert touching too many daily partitions. */
  minTs = Number.POSITIVE_INFINITY
  maxTs = 0

  /** `tsTab` is `ts` followed by a tab. Separate appends build fewer temporary strings. */
  add(rowPrefix: string, tsTab: string, ts: number, value: number): void {
    this.text += rowPrefix
    this.text += tsTab
    this.text += value
    this.text += '\n'
    this.count++
    if (ts < this.minTs) this.minTs = ts
    if (ts > this.maxTs) this.maxTs = ts
  }

  append(other: PointRows): void {
    this.text += other.text
    this.count += other.count
    this.minTs = Math.min(this.minTs, other.minTs)
    this.maxTs = Math.max(this.maxTs, other.maxTs)
  }

  /** The series and time range the rows cover: only for the rare repair after re-delivery. */
  extent(): { fps: string[]; minTs: number; maxTs: number } {
    const fps = new Set<string>()
    let minTs = Number.POSITIVE_INFINITY
    let maxTs = 0
    for (const line of this.text.split('\n')) {
      if (line === '') continue
      const [fp, ts] = line.split('\t')
      fps.add(fp!)
      minTs = Math.min(minTs, Number(ts))
      maxTs = Math.max(maxTs, Number(ts))
    }
    return { fps: [...fps], minTs, maxTs }
  }
}

/**
 * Everything one ClickHouse write will carry, and the messages to acknowledge once it succeeded.
 * Points of re-delivered messages are kept apart: they may already be stored (or stored without
 * their rollups), so their rollup buckets are repaired after the insert.
 */
export class PendingBatch {
  fresh = new PointRows()
  suspect = new PointRows()
  seriesRows: string[] = []
  endpointRows: string[] = []
  messages: JsMsg[] = []
  readonly startedAt = Date.now()

  get points(): number {
    return this.fresh.count + this.suspect.count
  }

  /** A batch whose write failed once may have been stored in part: every point becomes suspect. */
  markAllSuspect(): void {
    this.suspect.append(this.fresh)
    this.fresh = new PointRows()
  }
}
