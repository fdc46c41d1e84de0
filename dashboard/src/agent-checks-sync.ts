import {
  type AgentChecks,
  type ConfigStore,
  ConflictError,
  deriveAgentChecks,
  HostRecord,
  keepWatching,
  type Logger,
  noAgentChecks,
  StrategyResolver,
  type Watching,
} from '@peregrine/common'
import { type KvEntry, KvWatchInclude, type NatsConnection } from 'nats'

export interface AgentChecksSyncOptions {
  /** Changes closer together than this are applied together (default 300 ms). */
  debounceMs?: number
  /**
   * The connection of `config`: when given, the watches are reopened as soon as it reconnects;
   * without it they recover when NATS notices their consumer is gone (some 10 s).
   */
  nc?: NatsConnection
}

export interface AgentChecksSync {
  stop(): Promise<void>
}

/** The outcome of one synchronisation, for logs and tests. */
export interface SyncResult {
  hosts: number
  written: number
  deleted: number
}

/**
 * Keeps every host's agent checks (`checks.<host>` in the agents bucket) equal to what the
 * strategies that apply to the host ask for (deriveAgentChecks): once at start, then whenever the
 * tree, a host binding or a strategy changes (several changes within `debounceMs` are applied
 * together). Only documents that change are written; hosts left with nothing to check lose their
 * document. A host whose record changes but not its nodes (a heartbeat) does not trigger a pass.
 * Writes are compare-and-set: a conflict (another dashboard wrote meanwhile) makes it run again.
 * Resolves once the first pass is done.
 */
export async function startAgentChecksSync(
  config: ConfigStore,
  log: Logger,
  options: AgentChecksSyncOptions = {},
): Promise<AgentChecksSync> {
  const debounceMs = options.debounceMs ?? 300
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> = Promise.resolve()
  /** The nodes of each host key, as the last pass read them, to tell a rebinding from a heartbeat. */
  let hostNodes = new Map<string, string>()

  const runOnce = async () => {
    if (stopped) return
    try {
      const r = await syncAgentChecks(config)
      hostNodes = r.hostNodes
      if (r.written || r.deleted)
        log.info({ hosts: r.hosts, written: r.written, deleted: r.deleted }, 'agent checks')
    } catch (err) {
      if (err instanceof ConflictError)
        log.info({ err: err.message }, 'agent checks: changed meanwhile; again')
      else log.warn({ err: (err as Error).message }, 'agent checks: sync failed; again')
      schedule(err instanceof ConflictError ? debounceMs : Math.max(debounceMs, 5000))
    }
  }
  /** Runs a pass `ms` from the first request; requests until then join it. Passes never overlap. */
  const schedule = (ms = debounceMs) => {
    if (stopped || timer !== undefined) return
    timer = setTimeout(() => {
      timer = undefined
      running = running.then(runOnce)
    }, ms)
  }

  const onHostEntry = (e: KvEntry) => {
    if (e.operation !== 'PUT' || e.length === 0) {
      if (hostNodes.has(e.key)) schedule()
      return
    }
    try {
      const h = HostRecord.safeParse(e.json())
      if (!h.success || hostNodes.get(e.key) !== nodesKey(h.data.nodes)) schedule()
    } catch {
      schedule()
    }
  }

  // Watches first (only changes from now on), then the first pass: nothing falls in between. A
  // watch that is reopened (after a failure or a reconnect) may have missed changes: a pass follows.
  const watches: Watching[] = []
  const watch = (collection: { watch: ConfigStore['hosts']['watch'] }, onEntry: (e: KvEntry) => void) =>
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
            nc: options.nc,
            onError: (err) => {
              log.warn({ err: err.message }, 'agent checks: config watch failed; retrying')
              if (first) {
                first = false
                opened() // do not hold the start up: the retries go on
              }
            },
          },
        ),
      )
    })
  await Promise.all([
    watch(config.treeDoc, () => schedule()),
    watch(config.strategies, () => schedule()),
    watch(config.hosts, onHostEntry),
  ])
  running = running.then(runOnce)
  await running

  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      timer = undefined
      await Promise.all(watches.map((w) => w.stop()))
      await running
    },
  }
}

const nodesKey = (nodes: readonly string[]) => [...nodes].sort().join('\n')

/**
 * One pass: every host's checks from the current tree, hosts and strategies, written where they
 * differ from the stored document and deleted where the host has nothing left to check.
 */
export async function syncAgentChecks(
  config: ConfigStore,
): Promise<SyncResult & { hostNodes: Map<string, string> }> {
  const [{ tree }, hosts, strategies, storedIds] = await Promise.all([
    config.tree(),
    config.hosts.list(),
    config.strategies.list(),
    config.agentChecks.ids(),
  ])
  const resolver = new StrategyResolver(
    tree,
    strategies.map((s) => s.value),
  )
  const wanted = new Map<string, AgentChecks>()
  const hostNodes = new Map<string, string>()
  for (const { value: h } of hosts) {
    hostNodes.set(config.hosts.key(h.host), nodesKey(h.nodes))
    const checks = deriveAgentChecks(resolver.forHost(h.nodes))
    if (!noAgentChecks(checks)) wanted.set(h.host, checks)
  }

  let written = 0
  let deleted = 0
  for (const [host, checks] of wanted) {
    let stored: Awaited<ReturnType<ConfigStore['agentChecks']['get']>>
    try {
      stored = await config.agentChecks.get(host)
    } catch {
      // Not a valid document: replace it.
      await config.agentChecks.delete(host)
      stored = null
    }
    if (stored === null) await config.agentChecks.create(host, checks)
    else if (JSON.stringify(stored.value) !== JSON.stringify(checks))
      await config.agentChecks.update(host, checks, stored.revision)
    else continue
    written++
  }
  for (const host of storedIds) {
    if (wanted.has(host)) continue
    await config.agentChecks.delete(host)
    deleted++
  }
  return { hosts: hosts.length, written, deleted, hostNodes }
}
