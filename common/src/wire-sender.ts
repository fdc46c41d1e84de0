import type { MetricBatch } from './batch.ts'
import { DEFINITION_CHUNK } from './series-dictionary.ts'
import { clipKey, definitionSize, encodeWire, MAX_DICTIONARY_IDS, utf8Length, wireSize } from './wire.ts'

/**
 * Stores the keys of one chunk of a dictionary (ids chunk × DEFINITION_CHUNK onwards) where
 * receivers look up the ids they miss; resolves once the store acknowledged them.
 */
export type SaveDefinitions = (epoch: number, chunk: number, keys: readonly string[]) => Promise<void>

/** A stored chunk is rewritten this often, so that it outlives its bucket's TTL while in use. */
export const DEFINITIONS_REFRESH_MS = 24 * 3600_000
/**
 * A message leaves a definition out only if its chunk was stored less than this long ago: the
 * bucket keeps it SERIES_BUCKET_TTL after that, time enough for the stream to deliver the message.
 */
const STORED_TRUST_MS = 3 * DEFINITIONS_REFRESH_MS
/** After a failed save, definitions travel inline for this long before saving is tried again. */
const SAVE_RETRY_MS = 30_000

interface Chunk {
  /** How many of the chunk's ids the store acknowledged, and when (ms). */
  stored: number
  storedAt: number
  saving: boolean
  /** The encode that last looked at it, so each chunk is considered once per message. */
  seenBy: number
}

/**
 * The sending side of the series dictionary: numbers each series once per epoch (random, chosen
 * at start, renewed when MAX_DICTIONARY_IDS are used) and encodes batches as v2 messages. A
 * definition travels inline until the store has acknowledged it (saves run in the background),
 * and in every self-contained message (the spool's, resent whenever NATS answers again).
 */
export class WireSender {
  #epoch = newEpoch()
  #ids = new Map<string, number>()
  /** Clipped keys by id: what the store and the receivers know them as. */
  #keys: string[] = []
  #chunks: Chunk[] = []
  #encodes = 0
  #retryAt = 0
  #saves = new Set<Promise<void>>()

  constructor(
    private readonly save: SaveDefinitions | null,
    private readonly now: () => number = Date.now,
  ) {}

  get epoch(): number {
    return this.#epoch
  }

  /** Bytes of `b` as a message with every definition inline: the most any encoding of it takes. */
  maxSize(b: MetricBatch): number {
    let defs = 0
    for (const key of b.series) defs += definitionSize(key)
    return wireSize(utf8Length(b.source.host), utf8Length(b.source.agent), defs, b.refs.length, false)
  }

  /**
   * `b` as a v2 message: self-contained, or without the definitions the store holds; then saves
   * those it does not hold yet (never waited for: the next messages leave them out once saved).
   */
  encode(b: MetricBatch, selfContained: boolean): Uint8Array {
    const ids = this.#number(b.series)
    const now = this.now()
    const inline: number[] = []
    for (let s = 0; s < ids.length; s++) if (selfContained || !this.#stored(ids[s]!, now)) inline.push(s)
    const data = encodeWire(b, this.#epoch, ids, inline)
    if (!selfContained) this.#saveDue(ids, now)
    return data
  }

  /**
   * Forgets what the store acknowledged: after a reconnection NATS may be another server, or one
   * that lost its data. Definitions travel inline again until saved anew.
   */
  forgetSaved(): void {
    for (const c of this.#chunks) {
      c.stored = 0
      c.storedAt = 0
    }
  }

  /** Waits for the saves under way. */
  async settle(): Promise<void> {
    while (this.#saves.size > 0) await Promise.all(this.#saves)
  }

  #number(series: readonly string[]): Uint32Array {
    if (this.#keys.length + series.length > MAX_DICTIONARY_IDS) {
      this.#epoch = newEpoch()
      this.#ids.clear()
      this.#keys = []
      this.#chunks = []
    }
    const ids = new Uint32Array(series.length)
    for (let s = 0; s < series.length; s++) {
      const key = series[s]!
      let id = this.#ids.get(key)
      if (id === undefined) {
        id = this.#keys.length
        this.#keys.push(clipKey(key))
        this.#ids.set(key, id)
        if (id % DEFINITION_CHUNK === 0)
          this.#chunks.push({ stored: 0, storedAt: 0, saving: false, seenBy: 0 })
      }
      ids[s] = id
    }
    return ids
  }

  #stored(id: number, now: number): boolean {
    const c = this.#chunks[Math.floor(id / DEFINITION_CHUNK)]!
    return c.stored > id % DEFINITION_CHUNK && now - c.storedAt < STORED_TRUST_MS
  }

  #saveDue(ids: Uint32Array, now: number): void {
    const save = this.save
    if (save === null || now < this.#retryAt) return
    const encode = ++this.#encodes
    for (const id of ids) {
      const chunk = Math.floor(id / DEFINITION_CHUNK)
      const c = this.#chunks[chunk]!
      if (c.seenBy === encode || c.saving) continue
      c.seenBy = encode
      const keys = this.#keys.slice(chunk * DEFINITION_CHUNK, (chunk + 1) * DEFINITION_CHUNK)
      if (c.stored === keys.length && now - c.storedAt < DEFINITIONS_REFRESH_MS) continue
      c.saving = true
      const epoch = this.#epoch
      const p = save(epoch, chunk, keys).then(
        () => {
          c.stored = Math.max(c.stored, keys.length)
          c.storedAt = now
        },
        () => {
          this.#retryAt = this.now() + SAVE_RETRY_MS
        },
      )
      this.#saves.add(p)
      void p.finally(() => {
        c.saving = false
        this.#saves.delete(p)
      })
    }
  }
}

/** A random epoch below 2^53, so that two starts of a sender practically never share one. */
function newEpoch(): number {
  const [high, low] = globalThis.crypto.getRandomValues(new Uint32Array(2))
  return (high! >>> 11) * 2 ** 32 + low!
}
