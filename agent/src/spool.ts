import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'

export interface SpoolEntry {
  /** Sequence of the entry in the spool: entries are resent in this order. */
  seq: number
  /** Nats-Msg-Id under which the batch was (or will be) published: resends are deduplicated. */
  msgId: string
  points: number
  file: string
  bytes: number
  /** Its points were acknowledged to a sender (a push): never dropped to make room. */
  acknowledged: boolean
}

/** `<seq>_<points>_<msgId>[.ack].batch`: what the spool knows of a batch is in its name. */
const NAME = /^(\d{12})_(\d+)_([0-9a-f-]{36})(\.ack)?\.batch$/

/** Why a batch could not be written to the spool: what a push answered 503 and health report. */
export class SpoolWriteError extends Error {
  override name = 'SpoolWriteError'

  constructor(
    message: string,
    /** errno code (ENOSPC, EACCES, EROFS, …) or SPOOL_FULL when the batch is larger than the spool, or the spool holds only acknowledged points. */
    readonly code: string,
  ) {
    super(message)
  }
}

/**
 * A bounded FIFO of batches on disk, for when NATS cannot be reached. Each batch is one file,
 * written under a temporary name, fsynced, renamed and its directory fsynced: once append()
 * resolves the batch survives a crash of the process or the machine, which is what lets a push
 * be acknowledged. A crash mid-write leaves whole batches only. When full, the oldest batches of
 * the agent's own collections go first, and their points are counted as dropped; batches whose
 * points were acknowledged to a sender are never dropped: with only those left, a new batch is
 * refused (SPOOL_FULL), and a push answered 503.
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
      spool.#entries.push({
        seq: Number(m[1]),
        points: Number(m[2]),
        msgId: m[3]!,
        file,
        bytes,
        acknowledged: m[4] !== undefined,
      })
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

  /** Writes a batch durably; throws SpoolWriteError when it cannot (full disk, permissions). */
  async append(msgId: string, data: Uint8Array, points: number, acknowledged = false): Promise<void> {
    if (data.byteLength > this.maxBytes)
      throw new SpoolWriteError(
        `a batch of ${data.byteLength} bytes is larger than the spool (AGENT_SPOOL_MAX_BYTES ${this.maxBytes})`,
        'SPOOL_FULL',
      )
    while (this.#bytes + data.byteLength > this.maxBytes) {
      const expendable = this.#entries.find((e) => !e.acknowledged)
      if (!expendable)
        throw new SpoolWriteError(
          `the spool is full of acknowledged points (AGENT_SPOOL_MAX_BYTES ${this.maxBytes}) until NATS takes them`,
          'SPOOL_FULL',
        )
      this.droppedPoints += expendable.points
      this.droppedBatches++
      await this.remove(expendable)
    }
    const seq = this.#nextSeq++
    const suffix = acknowledged ? '.ack.batch' : '.batch'
    const file = join(this.dir, `${String(seq).padStart(12, '0')}_${points}_${msgId}${suffix}`)
    try {
      await this.#writeDurably(file, data)
    } catch (err) {
      const e = err as NodeJS.ErrnoException
      throw new SpoolWriteError(
        `cannot write the spool in ${this.dir}: ${e.code ?? e.message}`,
        e.code ?? 'EIO',
      )
    }
    this.#entries.push({ seq, msgId, points, file, bytes: data.byteLength, acknowledged })
    this.#bytes += data.byteLength
  }

  async #writeDurably(file: string, data: Uint8Array): Promise<void> {
    // The folder may have been removed underneath (a cleanup, an operator): recreate it.
    await mkdir(this.dir, { recursive: true })
    const tmp = `${file}.tmp`
    try {
      const fh = await open(tmp, 'w')
      try {
        await fh.writeFile(data)
        await fh.datasync()
      } finally {
        await fh.close()
      }
      await rename(tmp, file)
    } catch (err) {
      // A partial file on a full disk would hold the space that recovery needs.
      await rm(tmp, { force: true }).catch(() => {})
      throw err
    }
    const dir = await open(this.dir, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  }

  oldest(): SpoolEntry | undefined {
    return this.#entries[0]
  }

  read(entry: SpoolEntry): Promise<Buffer> {
    return readFile(entry.file)
  }

  /** Forgets an entry and deletes its file; throws only when the file exists and cannot be deleted. */
  async remove(entry: SpoolEntry): Promise<void> {
    const i = this.#entries.indexOf(entry)
    if (i < 0) return
    this.#entries.splice(i, 1)
    this.#bytes -= entry.bytes
    await rm(entry.file, { force: true })
  }
}
