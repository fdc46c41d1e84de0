import type { JsMsg } from 'nats'
import type { SeriesEntry } from './series-cache.ts'

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

/** Points of a series not confirmed yet, fresh and suspect like the batch's own. */
export interface HeldRows {
  fresh: PointRows
  suspect: PointRows
}

/**
 * Everything one ClickHouse write will carry, and the messages to acknowledge once it succeeded.
 * Points of re-delivered messages are kept apart: they may already be stored (or stored without
 * their rollups), so their rollup buckets are repaired after the insert. Points of series whose
 * definition is not confirmed yet are held per series until the write looks the series up, so
 * that refusing one definition never drops another's points.
 */
export class PendingBatch {
  fresh = new PointRows()
  suspect = new PointRows()
  readonly held = new Map<SeriesEntry, HeldRows>()
  seriesRows: string[] = []
  endpointRows: string[] = []
  messages: JsMsg[] = []
  readonly startedAt = Date.now()

  get points(): number {
    let n = this.fresh.count + this.suspect.count
    for (const h of this.held.values()) n += h.fresh.count + h.suspect.count
    return n
  }

  /** Where a point of the unconfirmed series `e` waits. */
  heldRows(e: SeriesEntry, suspect: boolean): PointRows {
    let h = this.held.get(e)
    if (!h) {
      h = { fresh: new PointRows(), suspect: new PointRows() }
      this.held.set(e, h)
    }
    return suspect ? h.suspect : h.fresh
  }

  /** A batch whose write failed once may have been stored in part: every point becomes suspect. */
  markAllSuspect(): void {
    this.suspect.append(this.fresh)
    this.fresh = new PointRows()
    for (const h of this.held.values()) {
      h.suspect.append(h.fresh)
      h.fresh = new PointRows()
    }
  }
}
