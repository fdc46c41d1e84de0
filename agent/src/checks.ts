import type { Logger } from '@peregrine/common/log'
import { type Feed, keepWatching, openAgentChecks, type Watching } from '@peregrine/common/nats'
import { AgentChecks } from '@peregrine/common/schema'
import type { KvEntry, NatsConnection } from 'nats'

/** The checks of a host that has none (or whose document was deleted). */
export const NO_CHECKS: AgentChecks = Object.freeze({ ports: [], processes: [] })

export interface ChecksWatcher {
  /** The checks to run now: the newest valid document seen, or none. */
  current(): AgentChecks
  stop(): Promise<void>
}

export interface ChecksWatcherOptions {
  /** First pause before reopening a watch that failed (default 1 s, doubling up to 15 s). */
  retryMs?: number
}

/** One state of the checks document: its bytes, or null when there is none (deleted, purged). */
type ChecksValue = Uint8Array | null

/**
 * Follows this host's checks document (`checks.<host>` in the agents bucket, written by the
 * dashboard from the strategies that apply to the host) with a direct get and a plain
 * subscription to the key's subject: an agent may not create JetStream consumers. Never fails:
 * while NATS is unreachable or the bucket does not exist yet it keeps the checks it has and tries
 * again, and on a reconnect it reads the document anew (changes made meanwhile were not
 * delivered). Given the promise of a connection, it starts once NATS has been reached, until
 * then there are no checks. A value that is not valid JSON or not AgentChecks is logged and
 * ignored (the previous checks stay); a deleted key means no checks.
 */
export function watchAgentChecks(
  connection: NatsConnection | Promise<NatsConnection>,
  host: string,
  log: Logger,
  options: ChecksWatcherOptions = {},
): ChecksWatcher {
  let checks: AgentChecks = NO_CHECKS

  const set = (next: AgentChecks) => {
    if (JSON.stringify(next) === JSON.stringify(checks)) return
    checks = next
    log.info({ ports: next.ports.length, processes: next.processes.length }, 'agent checks changed')
  }

  const onValue = (value: ChecksValue) => {
    if (value === null || value.length === 0) {
      set(NO_CHECKS)
      return
    }
    let json: unknown
    try {
      json = JSON.parse(Buffer.from(value).toString('utf8'))
    } catch {
      log.warn({ host }, 'agent checks: the value is not JSON; ignored')
      return
    }
    const parsed = AgentChecks.safeParse(json)
    if (!parsed.success)
      log.warn({ host, error: parsed.error.issues[0]?.message }, 'agent checks: invalid value; ignored')
    else set(parsed.data)
  }

  let watching: Watching | undefined
  let stopped = false
  void Promise.resolve(connection).then((nc) => {
    if (stopped) return
    watching = keepWatching(() => openChecksFeed(nc, host), onValue, {
      nc,
      retryMs: options.retryMs ?? 1000,
      onError: (err) => log.warn({ err: err.message }, 'agent checks: watch failed; retrying'),
    })
  })

  return {
    current: () => checks,
    async stop() {
      stopped = true
      await watching?.stop()
    },
  }
}

/**
 * The document now, then each change. The subscription starts before the read, so a change made
 * in between is delivered after the value read: applied in order, the newest wins.
 */
async function openChecksFeed(nc: NatsConnection, host: string): Promise<Feed<ChecksValue>> {
  const { kv, key, subject } = await openAgentChecks(nc, host)
  const sub = nc.subscribe(subject)
  let first: KvEntry | null
  try {
    first = await kv.get(key)
  } catch (err) {
    sub.unsubscribe()
    throw err
  }
  return {
    stop: () => sub.unsubscribe(),
    async *[Symbol.asyncIterator]() {
      yield first?.operation === 'PUT' ? first.value : null
      for await (const m of sub) yield m.headers?.get('KV-Operation') ? null : m.data
    },
  }
}
