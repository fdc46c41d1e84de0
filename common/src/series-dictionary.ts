import type { WireBatch } from './wire.ts'

/** Ids per stored chunk of a dictionary: one KV value (series-bucket.ts) holds this many keys. */
export const DEFINITION_CHUNK = 64

/** Where receivers look up the ids no message told them (the series bucket). */
export interface DefinitionSource {
  /**
   * The keys of ids chunk × DEFINITION_CHUNK onwards of dictionary `epoch` of the sender that
   * publishes on `owner` (its metrics subject), validated; null when none are stored (or what is
   * stored is not valid). Rejects when it cannot tell (NATS away).
   */
  load(owner: string, epoch: number, chunk: number): Promise<readonly string[] | null>
}

export interface SeriesDictionaryOptions {
  /** Ids kept over every sender and epoch; least recently used epochs go first beyond it. */
  maxIds?: number
  /** Told when a look-up failed: the source is not asked again for LOAD_RETRY_MS. */
  onLoadError?: (err: Error, owner: string, epoch: number, chunk: number) => void
  now?: () => number
}

export const DEFAULT_DICTIONARY_IDS = 2_000_000
/** A chunk that did not hold the ids asked for, or a source that failed, is not asked again sooner than this. */
export const LOAD_RETRY_MS = 5000

/** One sender's epoch: keys and what they resolve to, by id. */
class Epoch<T> {
  keys: (string | undefined)[] = []
  values: (T | undefined)[] = []
  usedAt = 0
  /** Chunk → when (ms) it may be looked up again. */
  retryAt: Map<number, number> | null = null

  constructor(public generation: number) {}
}

/**
 * The receiving side of the series dictionary, shared by the collector and the judge: per sender
 * (`owner`: its metrics subject) and epoch, each id's key and what `resolveKey` makes of it,
 * computed once per series and epoch, so a point costs one array read. Ids are learnt from the
 * messages' inline definitions and, for those no message told (a receiver that started or took
 * over later), from `source`. Bounded by `maxIds`.
 */
export class SeriesDictionary<T> {
  readonly #owners = new Map<string, Map<number, Epoch<T>>>()
  #ids = 0
  #generation = 0
  #clock = 0
  /** Until when (ms) the source is not asked, after it failed: its failures cost no time per message. */
  #sourceRetryAt = 0
  readonly #maxIds: number
  readonly #now: () => number

  constructor(
    private readonly resolveKey: (key: string) => T,
    private readonly source: DefinitionSource | null,
    private readonly options: SeriesDictionaryOptions = {},
  ) {
    this.#maxIds = options.maxIds ?? DEFAULT_DICTIONARY_IDS
    this.#now = options.now ?? Date.now
  }

  /** Ids held, over every sender and epoch. */
  get size(): number {
    return this.#ids
  }

  /** What resolveKey answers has changed: every key is resolved anew when next used. */
  invalidate(): void {
    this.#generation++
  }

  /**
   * The resolved series of `w`'s points by id, once its inline definitions are learnt;
   * undefined where an id is unknown. Null instead when unknown ids may be found in the source
   * (and `mayLoad`): load() them, then ask again.
   */
  values(owner: string, w: WireBatch, mayLoad = true): readonly (T | undefined)[] | null {
    const e = this.#epoch(owner, w.epoch)
    if (e.generation !== this.#generation) this.#refresh(e)
    for (let d = 0; d < w.defIds.length; d++) this.#define(e, w.defIds[d]!, w.defKeys[d]!)
    const values = e.values
    const refs = w.refs
    for (let i = 0; i < w.count; i++)
      if (values[refs[i]!] === undefined) return mayLoad && this.#missing(e, w).size > 0 ? null : values
    return values
  }

  /** Looks up in the source the ids of `w` that are unknown. */
  async load(owner: string, w: WireBatch): Promise<void> {
    const e = this.#epoch(owner, w.epoch)
    const epoch = w.epoch
    // Taken before waiting: w's columns may be the decoder's, and serve another message meanwhile.
    const missing = this.#missing(e, w)
    await Promise.all(
      [...missing].map(async ([chunk, highest]) => {
        let keys: readonly string[] | null = null
        try {
          keys = await this.source!.load(owner, epoch, chunk)
        } catch (err) {
          this.#sourceRetryAt = this.#now() + LOAD_RETRY_MS
          this.options.onLoadError?.(err as Error, owner, epoch, chunk)
        }
        // Evicted while waiting: what was found is for an epoch no longer held.
        if (this.#owners.get(owner)?.get(epoch) !== e) return
        const first = chunk * DEFINITION_CHUNK
        for (let i = 0; keys !== null && i < keys.length; i++)
          if (e.keys[first + i] === undefined) this.#define(e, first + i, keys[i]!)
        if (e.keys[first + highest] !== undefined) return
        e.retryAt ??= new Map()
        e.retryAt.set(chunk, this.#now() + LOAD_RETRY_MS)
      }),
    )
  }

  /** Chunks that hold ids of `w` not known yet and may be looked up now → the highest such id's offset. */
  #missing(e: Epoch<T>, w: WireBatch): Map<number, number> {
    const need = new Map<number, number>()
    const now = this.#now()
    if (this.source === null || now < this.#sourceRetryAt) return need
    for (let i = 0; i < w.count; i++) {
      const id = w.refs[i]!
      if (e.values[id] !== undefined) continue
      const chunk = Math.floor(id / DEFINITION_CHUNK)
      if ((e.retryAt?.get(chunk) ?? 0) > now) continue
      need.set(chunk, Math.max(need.get(chunk) ?? 0, id % DEFINITION_CHUNK))
    }
    return need
  }

  #epoch(owner: string, epoch: number): Epoch<T> {
    let epochs = this.#owners.get(owner)
    if (epochs === undefined) {
      epochs = new Map()
      this.#owners.set(owner, epochs)
    }
    let e = epochs.get(epoch)
    if (e === undefined) {
      e = new Epoch(this.#generation)
      epochs.set(epoch, e)
    }
    e.usedAt = ++this.#clock
    return e
  }

  #define(e: Epoch<T>, id: number, key: string): void {
    if (e.keys[id] === key) return
    if (id >= e.keys.length) {
      const grown = id + 1 - e.keys.length
      // Pushed, not assigned past the end: the arrays stay packed, and fast to index.
      for (let i = 0; i < grown; i++) {
        e.keys.push(undefined)
        e.values.push(undefined)
      }
      this.#ids += grown
      if (this.#ids > this.#maxIds) this.#evict(e)
    }
    e.keys[id] = key
    e.values[id] = this.resolveKey(key)
  }

  #refresh(e: Epoch<T>): void {
    e.generation = this.#generation
    for (let id = 0; id < e.keys.length; id++) {
      const key = e.keys[id]
      e.values[id] = key === undefined ? undefined : this.resolveKey(key)
    }
  }

  /** Drops the least recently used epochs (never `keep`) to three quarters of the bound. */
  #evict(keep: Epoch<T>): void {
    const all: [string, number, Epoch<T>][] = []
    for (const [owner, epochs] of this.#owners) for (const [epoch, e] of epochs) all.push([owner, epoch, e])
    all.sort((a, b) => a[2].usedAt - b[2].usedAt)
    const target = Math.floor(this.#maxIds * 0.75)
    for (const [owner, epoch, e] of all) {
      if (this.#ids <= target) break
      if (e === keep) continue
      const epochs = this.#owners.get(owner)!
      epochs.delete(epoch)
      if (epochs.size === 0) this.#owners.delete(owner)
      this.#ids -= e.keys.length
    }
  }
}
