import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client'
import { describeProcess, type ProcessInfo, processInfo } from '../process.ts'
import type { BoundQuery } from './sql.ts'

/**
 * The embedded engine, loaded on first use: it maps ~130 MiB into every process that imports it,
 * and most processes that import this module (a judge, the CLI's commands, a ClickHouse server's
 * clients) never open it.
 */
const loadChdb = (): typeof import('chdb/connection') => createRequire(import.meta.url)('chdb/connection')
const loadSession = (): typeof import('chdb').Session => createRequire(import.meta.url)('chdb').Session
type Session = InstanceType<ReturnType<typeof loadSession>>

type RawInsert = (p: {
  table: string
  columns: string[]
  values: string
  format: 'TabSeparated'
}) => Promise<void>

/**
 * chdb's own errors name ClickHouse's error type only in their message (`… (CANNOT_PARSE_…)`);
 * it is copied to `type`, as the HTTP client sets it, so isDataError reads both alike.
 */
function asClickHouseError(err: unknown): never {
  const type = /\(([A-Z][A-Z0-9_]+)\)\s*$/.exec((err as Error | null)?.message ?? '')?.[1]
  if (type && err instanceof Error && !('type' in err)) Object.assign(err, { type })
  throw err
}

type ChdbAsClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

export interface StoreOptions {
  /** ClickHouse server URL; empty for the embedded engine. */
  url: string
  /** Folder of the embedded engine's data (one process at a time may open it). */
  path: string
}

/** Thrown when another process holds the embedded engine's folder; its message is one line for the operator. */
export class StoreInUseError extends Error {
  override name = 'StoreInUseError'
}

/**
 * The process holding the embedded engine's folder, if another one does. ClickHouse's `status`
 * file there names it and stays open (locked) while it runs; it is left behind after an exit, so
 * where /proc tells, the holder must still have it open, not merely have an id someone reuses.
 * Checked before opening: chdb would print its own native error and fail without saying who.
 */
function holderOf(path: string): ProcessInfo | undefined {
  const status = join(path, 'status')
  let pid: number
  try {
    pid = Number(/^PID: (\d+)$/m.exec(readFileSync(status, 'utf8'))?.[1])
  } catch {
    return undefined
  }
  const holder = pid === process.pid ? undefined : processInfo(pid)
  if (!holder?.args) return undefined
  try {
    const fds = readdirSync(`/proc/${pid}/fd`)
    return fds.some((fd) => readlinkOrEmpty(`/proc/${pid}/fd/${fd}`) === resolve(status)) ? holder : undefined
  } catch {
    return holder // no /proc, or another user's process: its id in the status file is all there is
  }
}

function readlinkOrEmpty(link: string): string {
  try {
    return readlinkSync(link)
  } catch {
    return ''
  }
}

function inUseError(path: string, holder: ProcessInfo): StoreInUseError {
  return new StoreInUseError(
    `the embedded ClickHouse data folder ${path} is in use by ${describeProcess(holder)}: ` +
      'one process at a time may open it. Stop that process, or give this one its own data folder ' +
      '(PEREGRINE_DATA); processes that share data need a ClickHouse server (CLICKHOUSE_URL).',
  )
}

/** Columns as arrays; with no rows, ClickHouse leaves the columns out. */
const COLUMNS_FORMAT = 'JSONColumnsWithMetadata'

/**
 * The reading session of each embedded engine's client: found by the client, so that a Store made
 * over another's client (tests wrap one to inject faults) reads as that one does.
 */
const readers = new WeakMap<ClickHouseClient, ChdbReader>()

/**
 * `q` with its parameters written in as literals when every one is a number (or a list of them),
 * else null: it is then bound. chdb runs parameter-bound queries one at a time in the whole
 * process (`globalParamChain` in the chdb package), so a bound read waited behind the roller's
 * bound inserts (p99 1.3 s for a one-series history read during ingest). A number's text (digits,
 * sign, point, exponent) can say nothing else; text stays bound, and so do long lists.
 */
function numbersWrittenIn(q: BoundQuery): string | null {
  let written = 0
  const query = q.query.replace(/\{(p\d+):([A-Za-z0-9()]+)\}/g, (placeholder, name: string, type: string) => {
    const literal = literalOf(type, q.params[name])
    if (literal === null) return placeholder
    written++
    return `CAST(${literal}, '${type}')`
  })
  return written === Object.keys(q.params).length && query.length <= MAX_WRITTEN_QUERY ? query : null
}

/**
 * Longest query text with numbers written in: ClickHouse parses at most 256 KiB of it
 * (max_query_size), and bound values do not count (a collector's lookup of 60,000 fingerprints).
 */
const MAX_WRITTEN_QUERY = 100_000

/** A parameter of a numeric type (or a list of one) as a literal; null for anything else. */
function literalOf(type: string, value: unknown): string | null {
  const item = /^Array\((.+)\)$/.exec(type)?.[1]
  if (!/^(U?Int(8|16|32|64)|Float(32|64))$/.test(item ?? type)) return null
  if (item === undefined) return numberLiteral(value)
  if (!Array.isArray(value)) return null
  const items = value.map(numberLiteral)
  return items.every((i) => i !== null) ? `[${items.join(',')}]` : null
}

function numberLiteral(v: unknown): string | null {
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : null
  return typeof v === 'string' && /^\d{1,20}$/.test(v) ? v : null
}

/**
 * Queries on a chdb session of their own, straight through chdb: the HTTP client's layer over it
 * (a stream per answer, settings sent as SET statements with each query) cost ~0.7 ms a query.
 * Opened on the first query: most processes that open a Store only write, or never query.
 */
class ChdbReader {
  private session?: Session
  private closed = false

  constructor(private readonly path: string) {}

  async query<T>(q: BoundQuery): Promise<T[]> {
    return JSON.parse(await this.text(q, 'JSONEachRow')) as T[]
  }

  async columns<T>(q: BoundQuery): Promise<Partial<T>> {
    return (JSON.parse(await this.text(q, COLUMNS_FORMAT)) as { data: Partial<T> }).data
  }

  private async text(q: BoundQuery, format: string): Promise<string> {
    const session = this.open()
    const written = numbersWrittenIn(q)
    const result = await (written === null
      ? session.queryBindAsync(q.query, q.params, { format })
      : session.queryAsync(written, { format }))
    return result.text()
  }

  close(): void {
    this.closed = true
    this.session?.close()
    this.session = undefined
  }

  private open(): Session {
    if (this.session) return this.session
    if (this.closed) throw new Error('the store is closed')
    const session = new (loadSession())(this.path)
    try {
      // Settings hold for the session's later queries. Fingerprints are UInt64: as JSON numbers
      // they would lose precision above 2^53. One JSON array per answer is one JSON.parse. No
      // table has projections, and looking for them (the implicit min/max/count one of every
      // part) took ~0.4 ms of a one-series history query's ~4.
      session.query(
        'SET output_format_json_quote_64bit_integers = 1, output_format_json_array_of_rows = 1, optimize_use_projections = 0',
      )
    } catch (err) {
      session.close()
      throw err
    }
    this.session = session
    return session
  }
}

/**
 * The one door to ClickHouse for every service: the same SQL runs on the embedded chdb engine
 * and on a ClickHouse server over HTTP.
 *
 * Embedded, queries have a chdb session of their own on the same folder: a chdb connection runs
 * one statement at a time, so on the writers' connection a read waited behind whole inserts (p99
 * 92 ms for a one-series read while the collector inserted, 17.7 ms on a second session). Both
 * sessions share one engine and its data, so what an awaited insert wrote is there to read.
 */
export class Store {
  #inserts = 0
  #insertsPath: string | undefined
  constructor(
    readonly client: ClickHouseClient,
    readonly kind: 'embedded' | 'server',
    /** The embedded engine's insert that takes the body as bytes, parsed by ClickHouse alone. */
    readonly rawInsert?: RawInsert,
    /** How it was opened: what sibling() opens again. */
    readonly options?: StoreOptions,
  ) {}

  static open(o: StoreOptions): Store {
    if (o.url) return new Store(createClient({ url: o.url, request_timeout: 60_000 }), 'server', undefined, o)
    // chdb implements the client's Connection interface against its own copy of
    // @clickhouse/client-common, so the two declarations differ only in identity.
    const holder = holderOf(o.path)
    if (holder) throw inUseError(o.path, holder)
    const chdb = loadChdb().createChdbConnection({ path: o.path })
    const connection = chdb as unknown as ChdbAsClientConnection
    const rawInsert: RawInsert = (p) => chdb.chdb.rawInsert(p).then(() => undefined, asClickHouseError)
    const client = createClient({ connection })
    readers.set(client, new ChdbReader(o.path))
    return new Store(client, 'embedded', rawInsert, o)
  }

  /**
   * Another store on the same data with a connection of its own, for long work (rolling up) that
   * must not hold up this one's statements: a chdb connection runs one statement at a time, and
   * connections to one folder share its engine and data. Closed by whoever asked for it.
   */
  sibling(): Store {
    if (!this.options) throw new Error('this store was not opened by Store.open')
    return Store.open(this.options)
  }

  async query<T>(q: BoundQuery): Promise<T[]> {
    const reader = readers.get(this.client)
    if (reader) return reader.query<T>(q)
    return (await this.serverQuery(q, 'JSONEachRow')).json<T>()
  }

  /**
   * The answer as one array per column, by column name: a few arrays to parse instead of an
   * object per row. A column is absent when no row was answered.
   */
  async columns<T extends Record<keyof T, unknown[]>>(q: BoundQuery): Promise<Partial<T>> {
    const reader = readers.get(this.client)
    if (reader) return reader.columns<T>(q)
    // The client types a single-document answer's `data` as rows; in this format it is columns.
    const answer = (await (await this.serverQuery(q, COLUMNS_FORMAT)).json()) as unknown as {
      data: Partial<T>
    }
    return answer.data
  }

  private serverQuery<F extends 'JSONEachRow' | typeof COLUMNS_FORMAT>(q: BoundQuery, format: F) {
    return this.client.query({
      query: q.query,
      query_params: q.params,
      format,
      // Fingerprints are UInt64: as JSON numbers they would lose precision above 2^53.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
  }

  async command(q: BoundQuery | string, settings?: ClickHouseSettings): Promise<void> {
    const b = typeof q === 'string' ? { query: q, params: {} } : q
    await this.client.command({ query: b.query, query_params: b.params, clickhouse_settings: settings })
  }

  /**
   * Inserts TabSeparated rows, never parsed in JS. The embedded engine takes the text as it is;
   * a server takes the body inline after the statement.
   */
  async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    if (body.length === 0) return
    if (this.rawInsert) {
      await this.rawInsert({ table, columns: [...columns], values: body, format: 'TabSeparated' })
      return
    }
    await this.client.command({
      query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated\n${body}`,
    })
  }

  /**
   * Inserts RowBinary rows (`structure`: the columns' names and types, in the rows' order), which
   * ClickHouse reads without parsing text. chdb takes no binary body, so the embedded engine reads
   * the bytes from a file of this store's, removed once inserted; a server takes them as the body.
   */
  async insertRowBinary(
    table: string,
    columns: readonly string[],
    structure: string,
    body: Uint8Array,
  ): Promise<void> {
    if (body.length === 0) return
    const into = `INSERT INTO ${table} (${columns.join(', ')})`
    if (this.kind === 'server') {
      const r = await this.client.exec({ query: `${into} FORMAT RowBinary`, values: Readable.from([body]) })
      r.stream.resume()
      return
    }
    const file = join(this.#insertsDir(), `${this.#inserts++}.bin`)
    await writeFile(file, body)
    try {
      // Literals, not parameters: both are this process's own, and chdb queues bound queries.
      await this.command(`${into} SELECT * FROM file(${quoted(file)}, 'RowBinary', ${quoted(structure)})`)
    } finally {
      await rm(file, { force: true })
    }
  }

  /** Inserts rows given as JSON texts, one object each: for rows with arrays and nullable fields. */
  async insertJsonRows(table: string, rows: readonly string[]): Promise<void> {
    if (rows.length === 0) return
    await this.client.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow\n${rows.join('\n')}` })
  }

  /** Where the embedded engine's RowBinary inserts wait as files: made on the first one. */
  #insertsDir(): string {
    this.#insertsPath ??= mkdtempSync(join(tmpdir(), 'peregrine-inserts-'))
    return this.#insertsPath
  }

  close(): Promise<void> {
    if (this.#insertsPath) rmSync(this.#insertsPath, { recursive: true, force: true })
    readers.get(this.client)?.close()
    return this.client.close()
  }
}

/** A string literal of ClickHouse SQL. */
const quoted = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`
