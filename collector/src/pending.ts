import type { JsMsg } from 'nats'

/**
 * Point rows as the TabSeparated text they are inserted as (`fp\tts\tvalue\n`), built as points
 * arrive so that a write only hands the text over.
 */
export class PointRows {
  text = ''
  count = 0

  /** `tsTab` is the timestamp followed by a tab. Separate appends build fewer temporary strings. */
  add(rowPrefix: string, tsTab: string, value: number): void {
    this.text += rowPrefix
    this.text += tsTab
    this.text += value
    this.text += '\n'
    this.count++
  }

  append(other: PointRows): void {
    this.text += other.text
    this.count += other.count
  }

  /** The rows as (fp, ts, line) triples: only for the rare check of re-delivered points. */
  *lines(): Generator<{ fp: string; ts: number; line: string }> {
    let start = 0
    while (start < this.text.length) {
      const end = this.text.indexOf('\n', start)
      const line = this.text.slice(start, end + 1)
      const tab1 = line.indexOf('\t')
      const tab2 = line.indexOf('\t', tab1 + 1)
      yield { fp: line.slice(0, tab1), ts: Number(line.slice(tab1 + 1, tab2)), line }
      start = end + 1
    }
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
    return this.fresh.count + this.suspect.count
  }

  /** A batch whose write failed once may have been stored in part: every point becomes suspect. */
  markAllSuspect(): void {
    this.suspect.append(this.fresh)
    this.fresh = new PointRows()
  }
}
