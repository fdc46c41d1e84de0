import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface SpoolEntry {
  /** Sequence of the entry in the spool: entries are resent in this order. */
  seq: number
  /** Nats-Msg-Id under which the batch was (or will be) published: resends are deduplicated. */
  msgId: string
  points: number
  file: string
  bytes: number
}

const NAME = /^(\d{12})_(\d+)_([0-9a-f-]{36})\.batch$/

/**
 * A bounded FIFO of batches on disk, for when NATS cannot be reached. Each batch is one file,
 * written under a temporary name and renamed, so a crash leaves whole batches only. When full,
 * the oldest batches go first, and their points are counted as dropped.
 */
export class Spool {
  #entries: SpoolEntry[] = []
  #bytes = 0
  #nextSeq = 1
  droppedPoints = 0
  droppedBatches = 0

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {}

  static async open(dir: string, maxBytes: number): Promise<Spool> {
    await mkdir(dir, { recursive: true })
    const spool = new Spool(dir, maxBytes)
    for (const name of (await readdir(dir)).sort()) {
      const m = NAME.exec(name)
      if (!m) {
        if (name.endsWith('.tmp')) await rm(join(dir, name), { force: true })
        continue
      }
      const file = join(dir, name)
      const bytes = (await stat(file)).size
      spool.#entries.push({ seq: Number(m[1]), points: Number(m[2]), msgId: m[3]!, file, bytes })
      spool.#bytes += bytes
    }
    spool.#nextSeq = (spool.#entries.at(-1)?.seq ?? 0) + 1
    return spool
  }

  get size(): number {
    return this.#entries.length
  }

  get bytes(): number {
    return this.#bytes
  }

  async append(msgId: string, data: Uint8Array, points: number): Promise<void> {
    while (this.#entries.length && this.#bytes + data.byteLength > this.maxBytes) {
      const oldest = this.#entries[0]!
      await this.remove(oldest)
      this.droppedPoints += oldest.points
      this.droppedBatches++
    }
    if (data.byteLength > this.maxBytes) {
      this.droppedPoints += points
      this.droppedBatches++
      return
    }
    const seq = this.#nextSeq++
    const file = join(this.dir, `${String(seq).padStart(12, '0')}_${points}_${msgId}.batch`)
    await writeFile(`${file}.tmp`, data)
    await rename(`${file}.tmp`, file)
    this.#entries.push({ seq, msgId, points, file, bytes: data.byteLength })
    this.#bytes += data.byteLength
  }

  oldest(): SpoolEntry | undefined {
    return this.#entries[0]
  }

  read(entry: SpoolEntry): Promise<Buffer> {
    return readFile(entry.file)
  }

  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.#entries.indexOf(entry)
    if (i < 0) return
    this.#entries.splice(i, 1)
    this.#bytes -= entry.bytes
    await rm(entry.file, { force: true })
  }
}
