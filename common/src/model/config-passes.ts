import { type KvEntry, KvWatchInclude, type NatsConnection } from 'nats'
import type { Logger } from '../log.ts'
import { ConflictError, keepWatching, type Watching } from '../nats/kv.ts'
import type { ConfigStore } from './store.ts'

export interface ConfigPassesOptions {
  /** What the passes do, for the log. */
  what: string
  /** Changes closer together than this are taken in one pass (default 300 ms). */
  debounceMs?: number
  /**
   * The connection of `config`: when given, the watches are reopened as soon as it reconnects;
   * without it they recover when NATS notices their consumer is gone (some 10 s).
   */
  nc?: NatsConnection
  /** Whether a host record's change matters (default: every change does), e.g. only a rebinding. */
  hostChanged?: (e: KvEntry) => boolean
  /**
   * More collections the pass reads, each of whose changes asks for a pass too (the tree,
   * strategies and host records always do): e.g. the alarm's users, teams and silences.
   */
  also?: readonly Watchable[]
}

type Watchable = { watch: ConfigStore['hosts']['watch'] }

export interface ConfigPasses {
  /** Asks for a pass soon, as a change would. */
  schedule(): void
  stop(): Promise<void>
}

/**
 * Runs `pass` once at start and again whenever the tree, a strategy, a host record or one of
 * `also` changes, changes within `debounceMs` of each other taken together. Passes never
 * overlap; a failed pass is retried (at once after a ConflictError, after 5 s otherwise). A watch
 * that is reopened (after a failure or a reconnect) may have missed changes, so a pass follows
 * it. Resolves once the first pass is done: what depends on the configuration has it from the
 * start.
 */
export async function startConfigPasses(
  config: ConfigStore,
  log: Logger,
  o: ConfigPassesOptions,
  pass: () => Promise<void>,
): Promise<ConfigPasses> {
  const debounceMs = o.debounceMs ?? 300
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()

  const runOnce = async () => {
    if (stopped) return
    try {
      await pass()
    } catch (err) {
      if (err instanceof ConflictError) log.info({ err: err.message }, `${o.what}: changed meanwhile; again`)
      else log.warn({ err: (err as Error).message }, `${o.what}: failed; again`)
      schedule(err instanceof ConflictError ? debounceMs : Math.max(debounceMs, 5000))
    }
  }
  /** Runs a pass `ms` from the first request; requests until then join it. */
  const schedule = (ms = debounceMs) => {
    if (stopped || timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      running = running.then(runOnce)
    }, ms)
  }

  // Watches first (only changes from now on), then the first pass: nothing falls in between.
  const watches: Watching[] = []
  const watch = (collection: Watchable, onEntry: (e: KvEntry) => void) =>
    new Promise<void>((opened) => {
      let first = true
      watches.push(
        keepWatching(
          async () => {
            const it = await collection.watch({ include: KvWatchInclude.UpdatesOnly })
            if (first) {
              first = false
              opened()
            } else schedule()
            return it
          },
          onEntry,
          {
            nc: o.nc,
            onError: (err) => {
              log.warn({ err: err.message }, `${o.what}: config watch failed; retrying`)
              if (first) {
                first = false
                opened() // do not hold the start up: the retries go on
              }
            },
          },
        ),
      )
    })
  const hostChanged = o.hostChanged ?? (() => true)
  await Promise.all([
    watch(config.treeDoc, () => schedule()),
    watch(config.strategies, () => schedule()),
    watch(config.hosts, (e) => {
      if (hostChanged(e)) schedule()
    }),
    ...(o.also ?? []).map((c) => watch(c, () => schedule())),
  ])
  running = running.then(runOnce)
  await running

  return {
    schedule: () => schedule(),
    async stop() {
      stopped = true
      clearTimeout(timer)
      timer = undefined
      await Promise.all(watches.map((w) => w.stop()))
      await running
    },
  }
}
