import type { KV, NatsConnection } from 'nats'
import type { z } from 'zod'

export const CONFIG_BUCKET = 'peregrine-config'
export const AGENTS_BUCKET = 'peregrine-agents'

export class ConflictError extends Error {
  override name = 'ConflictError'
}
export class InvalidValueError extends Error {
  override name = 'InvalidValueError'
}

export async function openConfigBuckets(nc: NatsConnection): Promise<{ config: KV; agents: KV }> {
  const js = nc.jetstream()
  const config = await js.views.kv(CONFIG_BUCKET, { history: 10 })
  const agents = await js.views.kv(AGENTS_BUCKET, { history: 1 })
  return { config, agents }
}

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

const isWrongRevision = (err: unknown) =>
  /wrong last sequence|key exists/i.test(String((err as Error)?.message))

/**
 * A typed family of keys (`<prefix>.<id>`) in a KV bucket: values are validated by `schema` when
 * read and written, and writes are compare-and-set on the revision the caller read.
 */
export class KvCollection<S extends z.ZodType> {
  constructor(
    private readonly kv: KV,
    private readonly prefix: string,
    private readonly schema: S,
  ) {}

  key(id: string): string {
    return `${this.prefix}.${keyToken(id)}`
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
    const parsed = this.schema.safeParse(value)
    if (!parsed.success) throw new InvalidValueError(`${this.prefix}: ${parsed.error.issues[0]?.message}`)
    return Buffer.from(JSON.stringify(parsed.data))
  }

  private parse(json: unknown, key: string): z.output<S> {
    const parsed = this.schema.safeParse(json)
    if (!parsed.success)
      throw new InvalidValueError(`KV ${key} holds an invalid value: ${parsed.error.issues[0]?.message}`)
    return parsed.data
  }
}
