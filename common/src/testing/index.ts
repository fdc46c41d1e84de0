import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ConnectionOptions, type NatsConnection, nkeyAuthenticator } from 'nats'
import type { MetricBatch } from '../batch.ts'
import { Store } from '../clickhouse/client.ts'
import { migrate } from '../clickhouse/migrations.ts'
import { markRanges, rollTurn } from '../clickhouse/rollups.ts'
import type { AlertEvent } from '../model/event.ts'
import type { NotificationRecord } from '../model/notification.ts'
import { agentInboxPrefix, type NatsRole, startAuthorizedNatsServer } from '../nats/auth.ts'
import { MetricBatchReader } from '../nats/batch-reader.ts'
import { METRICS_STREAM } from '../nats/names.ts'
import type { NatsServer } from '../nats/server.ts'

export interface TempDir {
  path: string
  remove(): Promise<void>
}

export async function tempDir(prefix = 'peregrine-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  return { path, remove: () => rm(path, { recursive: true, force: true }) }
}

/** The host the test server's agent credential is bound to, unless a test names another. */
export const TEST_AGENT_HOST = 'test-agent'

/**
 * A real nats-server with JetStream on a free loopback port, for one test file, with the
 * all-in-one's authorization: only the service and agent credentials it generated may connect.
 * Restartable on the same port and store, to test what happens while it is down.
 */
export interface TestNats extends NatsServer {
  dataDir: string
  /** The host the agent credential is bound to. */
  agentHost: string
  /** How a client of `role` connects: the server, its credential and, for agents, their inbox prefix. */
  connectOptions(role: NatsRole): ConnectionOptions
  /** The environment that gives a Peregrine process of `role` this server and its credential. */
  env(role: NatsRole): Record<string, string>
  restart(): Promise<void>
  /** Stops the server and removes its data. */
  dispose(): Promise<void>
}

export async function startTestNats(o: { agentHost?: string } = {}): Promise<TestNats> {
  const agentHost = o.agentHost ?? TEST_AGENT_HOST
  const dir = await tempDir('peregrine-nats-')
  let server = await startAuthorizedNatsServer({ dataDir: dir.path, agentHost })
  const { port, url, credentials } = server
  const seed = async (role: NatsRole) =>
    new TextEncoder().encode((await readFile(credentials[role].seedFile, 'utf8')).trim())
  const seeds = { service: await seed('service'), agent: await seed('agent') }
  return {
    url,
    port,
    dataDir: dir.path,
    agentHost,
    connectOptions: (role) => ({
      servers: url,
      authenticator: nkeyAuthenticator(seeds[role]),
      ...(role === 'agent' ? { inboxPrefix: agentInboxPrefix(agentHost) } : {}),
    }),
    env: (role) => ({ NATS_URL: url, NATS_NKEY_FILE: credentials[role].seedFile }),
    stop: () => server.stop(),
    restart: async () => {
      server = await startAuthorizedNatsServer({ dataDir: dir.path, port, agentHost })
    },
    dispose: async () => {
      await server.stop()
      await dir.remove()
    },
  }
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
 * Every batch in the metrics stream, in stream order, v2 series looked up in their senders'
 * dictionaries (messages that are no batch, or whose series cannot be resolved, left out).
 */
export async function metricsStreamBatches(nc: NatsConnection): Promise<MetricBatch[]> {
  const jsm = await nc.jetstreamManager()
  const { state } = await jsm.streams.info(METRICS_STREAM)
  const reader = new MetricBatchReader(nc)
  const out: MetricBatch[] = []
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(METRICS_STREAM, { seq }).catch(() => null)
    const d = m && (await reader.read(m.data, m.subject))
    if (d?.ok) out.push(d.batch)
  }
  return out
}

/** A store over the same engine as `base`, for tests that inject faults into its inserts. */
export class FaultInjectingStore extends Store {
  constructor(base: Store) {
    super(base.client, base.kind, base.rawInsert, base.options)
  }
}

/**
 * A real store whose next `failures` inserts into `table` are stored and then reported as failed,
 * as when the reply of a successful insert is lost: the fault that retries must survive.
 */
export class LostReplyStore extends FaultInjectingStore {
  failures = 0

  constructor(
    base: Store,
    readonly table: string,
  ) {
    super(base)
  }

  override async insertTsv(table: string, columns: readonly string[], body: string): Promise<void> {
    await super.insertTsv(table, columns, body)
    this.#loseReply(table)
  }

  override async insertRowBinary(
    table: string,
    columns: readonly string[],
    structure: string,
    body: Uint8Array,
  ): Promise<void> {
    await super.insertRowBinary(table, columns, structure, body)
    this.#loseReply(table)
  }

  #loseReply(table: string): void {
    if (table === this.table && this.failures > 0) {
      this.failures--
      throw new Error('injected: insert reply lost')
    }
  }
}

/**
 * Rolls every sample stored into the rollups, now, as the collector's roller would once their
 * minutes closed: for tests that write samples straight into the table.
 */
export async function rollAllSamples(store: Store): Promise<void> {
  const [r] = await store.query<{ from: number; to: number; n: string }>({
    query: 'SELECT min(ts) AS from, max(ts) AS to, count() AS n FROM samples',
    params: {},
  })
  if (!r || Number(r.n) === 0) return
  await markRanges(store, [[r.from - (r.from % 60), r.to - (r.to % 60)]])
  // A clock an hour ahead: every minute written has closed.
  while ((await rollTurn(store, Math.floor(Date.now() / 1000) + 3600, 0)).minutes > 0);
}

/** Retention the tests use: the defaults. */
export const TEST_RETENTION = { rawDays: 30, rollup1mDays: 180, rollup1hDays: 730 }

/** The embedded engine in `dir`, with the schema applied (one per test process: chdb's rule). */
export async function openTestStore(dir: string): Promise<Store> {
  const store = Store.open({ url: '', path: join(dir, 'ch') })
  await migrate(store, TEST_RETENTION)
  return store
}

/** A valid notification record about one PROBLEM, for tests to vary. */
export function testNotification(over: Partial<NotificationRecord> = {}): NotificationRecord {
  return {
    id: 'n1-1',
    notification: 'a1a1a1a1a1a1a1a1.ops.email',
    events: ['a1'.repeat(8)],
    keys: ['b2'.repeat(8)],
    count: 1,
    channel: 'email',
    receiver: 'ops',
    address: 'oncall@example.com',
    priority: 2,
    status: 'PROBLEM',
    outcome: 'sent',
    attempt: 1,
    error: '',
    at: 1_800_000_000_250,
    paths: ['shop.web'],
    endpoints: ['web-1'],
    metric: 'cpu.idle',
    ...over,
  }
}

/** A valid PROBLEM event of web-1, for tests to vary. */
export function testEvent(over: Partial<AlertEvent> = {}): AlertEvent {
  return {
    id: 'a1'.repeat(8),
    key: 'b2'.repeat(8),
    status: 'PROBLEM',
    kind: 'value',
    step: 1,
    timestamp: 1_800_000_000,
    value: 3.5,
    flapping: false,
    endpoint: 'web-1',
    metric: 'cpu.idle',
    tags: '',
    strategy: {
      id: 's1',
      name: 'cpu-low',
      node: 'n1',
      priority: 2,
      condition: 'all(#3) cpu.idle < 10',
      operator: '<',
      threshold: 10,
      note: '',
      receivers: ['ops'],
      callbackUrl: null,
    },
    paths: ['shop.web'],
    judgedAt: 1_800_000_000_123,
    ...over,
  }
}
