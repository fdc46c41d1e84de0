import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store } from '../clickhouse/client.ts'
import { migrate } from '../clickhouse/migrations.ts'
import { type NatsServer, startNatsServer } from '../nats/server.ts'

export interface TempDir {
  path: string
  remove(): Promise<void>
}

export async function tempDir(prefix = 'peregrine-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/**
 * A real nats-server with JetStream on a free loopback port, for one test file. Restartable on
 * the same port and store, to test what happens while it is down.
 */
export interface TestNats extends NatsServer {
  dataDir: string
  restart(): Promise<void>
  /** Stops the server and removes its data. */
  dispose(): Promise<void>
}

export async function startTestNats(): Promise<TestNats> {
  const dir = await tempDir('peregrine-nats-')
  let server = await startNatsServer({ dataDir: dir.path })
  const port = server.port
  const handle: TestNats = {
    url: server.url,
    port,
    dataDir: dir.path,
    stop: () => server.stop(),
    restart: async () => {
      server = await startNatsServer({ dataDir: dir.path, port })
    },
    dispose: async () => {
      await server.stop()
      await dir.remove()
    },
  }
  return handle
}

/**
 * Polls `check` until it returns a truthy value; a throw counts as "not yet" (servers restarting).
 * Fails with the last value or error seen.
 */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value) return value as NonNullable<T>
      last = value
    } catch (err) {
      last = (err as Error).message
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`)
}

/**
 * A real store whose next `failures` inserts into `table` are stored and then reported as failed,
 * as when the reply of a successful insert is lost: the fault that retries must survive.
 */
export class LostReplyStore extends Store {
  failures = 0

  constructor(
    base: Store,
    readonly table: string,
  ) {
    super(base.client, base.kind)
  }

  override async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    await super.insertTsv(table, columns, body)
    if (table === this.table && this.failures > 0) {
      this.failures--
      throw new Error('injected: insert reply lost')
    }
  }
}

/** Retention the tests use: the defaults. */
export const TEST_RETENTION = { rawDays: 30, rollup1mDays: 180, rollup1hDays: 730 }

/** The embedded engine in `dir`, with the schema applied (one per test process: chdb's rule). */
export async function openTestStore(dir: string): Promise<Store> {
  const store = Store.open({ url: '', path: join(dir, 'ch') })
  await migrate(store, TEST_RETENTION)
  return store
}
