import {
  type AgentChecks,
  type ConfigStore,
  deriveAgentChecks,
  HostRecord,
  type Logger,
  noAgentChecks,
  StrategyResolver,
  startConfigPasses,
} from '@peregrine/common'
import type { KvEntry, NatsConnection } from 'nats'

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
  /** The nodes of each host key, as the last pass read them, to tell a rebinding from a heartbeat. */
  let hostNodes = new Map<string, string>()
  const rebound = (e: KvEntry) => {
    if (e.operation !== 'PUT' || e.length === 0) return hostNodes.has(e.key)
    try {
      const h = HostRecord.safeParse(e.json())
      return !h.success || hostNodes.get(e.key) !== nodesKey(h.data.nodes)
    } catch {
      return true
    }
  }
  return startConfigPasses(
    config,
    log,
    { what: 'agent checks', debounceMs: options.debounceMs, nc: options.nc, hostChanged: rebound },
    async () => {
      const r = await syncAgentChecks(config)
      hostNodes = r.hostNodes
      if (r.written || r.deleted)
        log.info({ hosts: r.hosts, written: r.written, deleted: r.deleted }, 'agent checks')
    },
  )
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
