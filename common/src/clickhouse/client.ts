import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { type ClickHouseClient, type ClickHouseSettings, createClient } from '@clickhouse/client'
import { describeProcess, type ProcessInfo, processInfo } from '../process.ts'
import type { BoundQuery } from './sql.ts'

/**
 * The embedded engine, loaded on first use: it maps ~130 MiB into every process that imports it,
 * and most processes that import this module (a judge, the CLI's commands, a ClickHouse server's
 * clients) never open it.
 */
const loadChdb = (): typeof import('chdb/connection') => createRequire(import.meta.url)('chdb/connection')

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

/**
 * The one door to ClickHouse for every service: the same SQL runs on the embedded chdb engine
 * and on a ClickHouse server over HTTP.
 */
export class Store {
  constructor(
    readonly client: ClickHouseClient,
    readonly kind: 'embedded' | 'server',
  ) {}

  static open(o: StoreOptions): Store {
    if (o.url) return new Store(createClient({ url: o.url, request_timeout: 60_000 }), 'server')
    // chdb implements the client's Connection interface against its own copy of
    // @clickhouse/client-common, so the two declarations differ only in identity.
    const holder = holderOf(o.path)
    if (holder) throw inUseError(o.path, holder)
    const connection = loadChdb().createChdbConnection({ path: o.path }) as unknown as ChdbAsClientConnection
    return new Store(createClient({ connection }), 'embedded')
  }

  async query<T>(q: BoundQuery): Promise<T[]> {
    const rs = await this.client.query({
      query: q.query,
      query_params: q.params,
      format: 'JSONEachRow',
      // Fingerprints are UInt64: as JSON numbers they would lose precision above 2^53.
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
    return rs.json<T>()
  }

  async command(q: BoundQuery | string, settings?: ClickHouseSettings): Promise<void> {
    const b = typeof q === 'string' ? { query: q, params: {} } : q
    await this.client.command({ query: b.query, query_params: b.params, clickhouse_settings: settings })
  }

  /**
   * Inserts TabSeparated rows. The body is sent inline after the statement, which both the HTTP
   * interface and chdb parse without building objects in JS.
   */
  async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    if (body.length === 0) return
    await this.client.command({
      query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated\n${body}`,
    })
  }

  /** Inserts rows given as JSON texts, one object each: for rows with arrays and nullable fields. */
  async insertJsonRows(table: string, rows: readonly string[]): Promise<void> {
    if (rows.length === 0) return
    await this.client.command({ query: `INSERT INTO ${table} FORMAT JSONEachRow\n${rows.join('\n')}` })
  }

  close(): Promise<void> {
    return this.client.close()
  }
}
