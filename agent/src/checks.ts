import type { Logger } from '@peregrine/common/log'
import { keepWatching, openAgentChecks } from '@peregrine/common/nats'
import { AgentChecks } from '@peregrine/common/schema'
import type { KV, KvEntry, NatsConnection } from 'nats'

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

/**
 * Follows this host's checks document (`checks.<host>` in the agents bucket, written by the
 * dashboard from the strategies that apply to the host). Never fails: while NATS is unreachable
 * or the bucket does not exist yet it keeps the checks it has and tries again, and on a reconnect
 * it reopens the watch, which replays the current document. A value that is not valid JSON or
 * not AgentChecks is logged and ignored (the previous checks stay); a deleted key means no checks.
 */
export function watchAgentChecks(
  nc: NatsConnection,
  host: string,
  log: Logger,
  options: ChecksWatcherOptions = {},
): ChecksWatcher {
  let checks: AgentChecks = NO_CHECKS
  let bucket: { kv: KV; key: string } | undefined

  const set = (next: AgentChecks, revision: number) => {
    if (JSON.stringify(next) === JSON.stringify(checks)) return
    checks = next
    log.info({ ports: next.ports.length, processes: next.processes.length, revision }, 'agent checks changed')
  }

  const onEntry = (e: KvEntry) => {
    if (e.operation !== 'PUT' || e.length === 0) {
      set(NO_CHECKS, e.revision)
      return
    }
    let json: unknown
    try {
      json = e.json()
    } catch {
      log.warn({ key: e.key, revision: e.revision }, 'agent checks: the value is not JSON; ignored')
      return
    }
    const parsed = AgentChecks.safeParse(json)
    if (!parsed.success) {
      log.warn(
        { key: e.key, revision: e.revision, error: parsed.error.issues[0]?.message },
        'agent checks: invalid value; ignored',
      )
      return
    }
    set(parsed.data, e.revision)
  }

  const watching = keepWatching(
    async () => {
      bucket ??= await openAgentChecks(nc, host)
      // A key without any entry is not in the watch at all: the host has no checks (a document
      // written meanwhile comes with the watch, which replays the newest entry of the key).
      if ((await bucket.kv.get(bucket.key)) === null) set(NO_CHECKS, 0)
      return bucket.kv.watch({ key: bucket.key })
    },
    onEntry,
    {
      nc,
      retryMs: options.retryMs ?? 1000,
      onError: (err) => log.warn({ err: err.message }, 'agent checks: watch failed; retrying'),
    },
  )

  return {
    current: () => checks,
    stop: () => watching.stop(),
  }
}
