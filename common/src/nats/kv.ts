import {
  ErrorCode,
  Events,
  type KV,
  type KvEntry,
  type KvWatchOptions,
  type NatsConnection,
  type QueuedIterator,
} from 'nats'
import * as z from '../zod.ts'

export const CONFIG_BUCKET = 'peregrine-config'
export const AGENTS_BUCKET = 'peregrine-agents'
/** Key prefix of the agents' checks documents in AGENTS_BUCKET (ConfigStore.agentChecks). */
export const AGENT_CHECKS_PREFIX = 'checks'

export class ConflictError extends Error {
  override name = 'ConflictError'
}
export class InvalidValueError extends Error {
  override name = 'InvalidValueError'
}

export async function openConfigBuckets(nc: NatsConnection): Promise<{ config: KV; agents: KV }> {
  const js = nc.jetstream()
  const config = await js.views.kv(CONFIG_BUCKET, { history: 10 })
  const agents = await openAgentsBucket(nc)
  return { config, agents }
}

/** The agents bucket alone (created when missing), for the agents, which need nothing else. */
export function openAgentsBucket(nc: NatsConnection): Promise<KV> {
  return nc.jetstream().views.kv(AGENTS_BUCKET, { history: 1 })
}

/** The key of `host`'s checks document in the agents bucket. */
export function agentChecksKey(host: string): string {
  return `${AGENT_CHECKS_PREFIX}.${keyToken(host)}`
}

/**
 * What an agent watches for its checks: the agents bucket and its own key there. The bucket is
 * bound, never created, and without the JetStream API check: an agent's permissions allow neither
 * (docs/security.md). While the bucket is missing, reading it fails and the caller retries.
 */
export async function openAgentChecks(
  nc: NatsConnection,
  host: string,
): Promise<{ kv: KV; key: string; subject: string }> {
  // Direct get names the key in the request subject, which lets the server limit it to this host.
  const kv = await nc
    .jetstream({ checkAPI: false })
    .views.kv(AGENTS_BUCKET, { bindOnly: true, allow_direct: true })
  const key = agentChecksKey(host)
  return { kv, key, subject: agentChecksSubject(key) }
}

/**
 * The subject a KV bucket publishes a key's changes on: a plain subscription to it follows the
 * key without a JetStream consumer, which an agent may not create (docs/security.md).
 */
export const agentChecksSubject = (key: string) => `$KV.${AGENTS_BUCKET}.${key}`

/**
 * KV keys allow letters, digits and `-_/=.`; ids and host names may hold anything, so every other
 * character (dot included, it separates key tokens) is written as `=` and two hex digits per byte.
 */
export function keyToken(s: string): string {
  let out = ''
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte)
    out += /[A-Za-z0-9_-]/.test(c) ? c : `=${byte.toString(16).padStart(2, '0')}`
  }
  return out
}

export function fromKeyToken(t: string): string {
  return Buffer.from(
    t.replace(/=([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
    'latin1',
  ).toString('utf8')
}

export interface Versioned<T> {
  value: T
  revision: number
}

/** A compare-and-set write refused because the key moved on (or exists, for a create). */
export const isWrongRevision = (err: unknown) =>
  /wrong last sequence|key exists/i.test(String((err as Error)?.message))

/**
 * A typed family of keys (`<prefix>.<id>`) in a KV bucket: values are validated by `schema` when
 * read and written, and writes are compare-and-set on the revision the caller read.
 */
export class KvCollection<S extends z.core.$ZodType> {
  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly schema: S,
  ) {}

  key(id: string): string {
    return `${this.prefix}.${keyToken(id)}`
  }

  /** The ids of the collection's keys (deleted ones excluded). */
  async ids(): Promise<string[]> {
    const out: string[] = []
    for await (const k of await this.kv.keys(`${this.prefix}.>`))
      out.push(fromKeyToken(k.slice(this.prefix.length + 1)))
    return out
  }

  /** A watch of the collection's keys: by default their current entries first, then every change. */
  watch(opts: Omit<KvWatchOptions, 'key'> = {}): Promise<QueuedIterator<KvEntry>> {
    return this.kv.watch({ ...opts, key: `${this.prefix}.>` })
  }

  async get(id: string): Promise<Versioned<z.output<S>> | null> {
    const e = await this.kv.get(this.key(id))
    if (e?.operation !== 'PUT' || e.length === 0) return null
    return { value: this.parse(e.json(), e.key), revision: e.revision }
  }

  async list(): Promise<Versioned<z.output<S>>[]> {
    const out: Versioned<z.output<S>>[] = []
    const keys: string[] = []
    for await (const k of await this.kv.keys(`${this.prefix}.>`)) keys.push(k)
    for (const k of keys) {
      const e = await this.kv.get(k)
      if (e && e.operation === 'PUT' && e.length > 0)
        out.push({ value: this.parse(e.json(), k), revision: e.revision })
    }
    return out
  }

  /** Fails with ConflictError when the id exists. */
  async create(id: string, value: z.input<S>): Promise<number> {
    const data = this.encode(value)
    try {
      return await this.kv.create(this.key(id), data)
    } catch (err) {
      if (isWrongRevision(err)) throw new ConflictError(`${this.prefix} ${id} already exists`)
      throw err
    }
  }

  /** Fails with ConflictError when the stored revision is not `revision`. */
  async update(id: string, value: z.input<S>, revision: number): Promise<number> {
    const data = this.encode(value)
    try {
      return await this.kv.update(this.key(id), data, revision)
    } catch (err) {
      if (isWrongRevision(err))
        throw new ConflictError(`${this.prefix} ${id} changed since revision ${revision}`)
      throw err
    }
  }

  /** Deletes, only if still at `revision` when one is given. */
  async delete(id: string, revision?: number): Promise<void> {
    try {
      await this.kv.delete(this.key(id), revision === undefined ? undefined : { previousSeq: revision })
    } catch (err) {
      if (isWrongRevision(err))
        throw new ConflictError(`${this.prefix} ${id} changed since revision ${revision}`)
      throw err
    }
  }

  private encode(value: z.input<S>): Uint8Array {
    const parsed = z.safeParse(this.schema, value)
    if (!parsed.success) throw new InvalidValueError(`${this.prefix}: ${parsed.error.issues[0]?.message}`)
    return Buffer.from(JSON.stringify(parsed.data))
  }

  private parse(json: unknown, key: string): z.output<S> {
    const parsed = z.safeParse(this.schema, json)
    if (!parsed.success)
      throw new InvalidValueError(`KV ${key} holds an invalid value: ${parsed.error.issues[0]?.message}`)
    return parsed.data
  }
}

export interface KeepWatchingOptions {
  /** Reopen the watch as soon as this connection reconnects (the server may have lost its consumer). */
  nc?: NatsConnection
  /** Wait before reopening a watch that ended or could not be opened; doubles up to 15 s. */
  retryMs?: number
  /** Told why a watch ended or could not be opened. */
  onError?: (err: Error) => void
}

export interface Watching {
  stop(): Promise<void>
}

/** What keepWatching follows: a KV watch, or any feed of updates that can be stopped. */
export interface Feed<T> extends AsyncIterable<T> {
  stop(): void
}

/**
 * Keeps a KV watch open until stop(). `open` starts a watch and `onEntry` sees its entries in
 * order. When the watch ends or cannot be opened (NATS down, the server restarted and its
 * consumer could not be recreated) it is opened again after a pause, and at once when `nc`
 * reconnects; `open` is called anew each time, so it can tell a reopening (and a watch that
 * replays current values makes onEntry see them again). Ends by itself once the connection is
 * closed.
 */
export function keepWatching<T>(
  open: () => Promise<Feed<T>>,
  onEntry: (e: T) => void,
  opts: KeepWatchingOptions = {},
): Watching {
  const baseRetry = opts.retryMs ?? 1000
  let stopped = false
  /** Set on a reconnect: reopen at once, it is not a failure. */
  let reopen = false
  let current: Feed<T> | undefined
  let wake: (() => void) | undefined
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      wake = done
    })
  const closed = (err: unknown) =>
    (err as { code?: string })?.code === ErrorCode.ConnectionClosed || opts.nc?.isClosed() === true

  const status = opts.nc?.status()
  if (status)
    void (async () => {
      for await (const s of status)
        if (s.type === Events.Reconnect) {
          reopen = true
          current?.stop()
          wake?.()
        }
    })().catch(() => {})

  const loop = (async () => {
    let retry = baseRetry
    while (!stopped) {
      reopen = false
      try {
        const it = await open()
        if (stopped) {
          it.stop()
          break
        }
        current = it
        if (reopen) it.stop() // reconnected while opening: this one may be on a lost consumer
        retry = baseRetry
        for await (const e of it) onEntry(e)
        if (!stopped && !reopen) opts.onError?.(new Error('the watch ended'))
      } catch (err) {
        if (closed(err)) break
        if (!stopped && !reopen) opts.onError?.(err as Error)
      } finally {
        current = undefined
      }
      if (stopped || opts.nc?.isClosed()) break
      if (reopen) continue
      await pause(retry)
      retry = Math.min(retry * 2, 15_000)
    }
  })()

  return {
    async stop() {
      stopped = true
      current?.stop()
      wake?.()
      // status() is typed as a plain AsyncIterable; nats' iterator stops (and unregisters) on stop().
      ;(status as { stop?: () => void } | undefined)?.stop?.()
      await loop
    },
  }
}
