import type { NatsConnection } from 'nats'
import { z } from 'zod'
import { AGENT_CHECKS_PREFIX, KvCollection, openConfigBuckets } from '../nats/kv.ts'
import { HostRecord, Subscription, Team, Token, User } from './access.ts'
import { Ack } from './ack.ts'
import { AgentChecks } from './agent-checks.ts'
import { EscalationPolicy, InhibitionRule, Silence } from './alarm.ts'
import { Screen } from './screen.ts'
import { Strategy } from './strategy.ts'
import { Tree, TreeDoc, type TreeDoc as TreeDocType } from './tree.ts'

const TREE_ID = 'doc'

export const Marker = z.object({ version: z.number().int().nonnegative() })
/** A key services generate once and share (e.g. the one that signs acknowledgement links). */
export const Secret = z.strictObject({ value: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.number() })

/** Every configuration collection, each a typed family of keys in the NATS KV buckets. */
export class ConfigStore {
  private constructor(
    readonly treeDoc: KvCollection<typeof TreeDoc>,
    readonly hosts: KvCollection<typeof HostRecord>,
    readonly strategies: KvCollection<typeof Strategy>,
    readonly users: KvCollection<typeof User>,
    readonly teams: KvCollection<typeof Team>,
    readonly subscriptions: KvCollection<typeof Subscription>,
    readonly tokens: KvCollection<typeof Token>,
    readonly agentChecks: KvCollection<typeof AgentChecks>,
    /** What a service installed once and must not install again (e.g. the judge's default strategies). */
    readonly markers: KvCollection<typeof Marker>,
    /** By event key: who acknowledged its PROBLEM. */
    readonly acks: KvCollection<typeof Ack>,
    /** Never answered by the API: services only (their NATS credentials read the bucket). */
    readonly secrets: KvCollection<typeof Secret>,
    readonly silences: KvCollection<typeof Silence>,
    readonly inhibitionRules: KvCollection<typeof InhibitionRule>,
    /** Keyed by tree node id. */
    readonly escalationPolicies: KvCollection<typeof EscalationPolicy>,
    /** Keyed by screen id. */
    readonly screens: KvCollection<typeof Screen>,
  ) {}

  static async open(nc: NatsConnection): Promise<ConfigStore> {
    const { config, agents } = await openConfigBuckets(nc)
    return new ConfigStore(
      new KvCollection(config, 'tree', TreeDoc),
      new KvCollection(config, 'host', HostRecord),
      new KvCollection(config, 'strategy', Strategy),
      new KvCollection(config, 'user', User),
      new KvCollection(config, 'team', Team),
      new KvCollection(config, 'subscription', Subscription),
      new KvCollection(config, 'token', Token),
      new KvCollection(agents, AGENT_CHECKS_PREFIX, AgentChecks),
      new KvCollection(config, 'marker', Marker),
      new KvCollection(config, 'ack', Ack),
      new KvCollection(config, 'secret', Secret),
      new KvCollection(config, 'silence', Silence),
      new KvCollection(config, 'inhibition', InhibitionRule),
      new KvCollection(config, 'escalation', EscalationPolicy),
      new KvCollection(config, 'screen', Screen),
    )
  }

  /** The tree and its revision (0 when no tree was written yet). */
  async tree(): Promise<{ tree: Tree; revision: number }> {
    const v = await this.treeDoc.get(TREE_ID)
    return { tree: new Tree(v?.value ?? { nodes: [] }), revision: v?.revision ?? 0 }
  }

  /** Writes the tree if it is still at `revision` (0: not written yet). */
  saveTree(doc: TreeDocType, revision: number): Promise<number> {
    return revision === 0 ? this.treeDoc.create(TREE_ID, doc) : this.treeDoc.update(TREE_ID, doc, revision)
  }
}
