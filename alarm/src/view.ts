import type { ConfigStore } from '@peregrine/common/nats'
import {
  type AlertEvent,
  type EscalationPolicy,
  effectiveInhibitionRules,
  escalationFor,
  type InhibitionRule,
  inhibitedBy,
  inhibitionSource,
  type Silence,
  silenced,
  Tree,
} from '@peregrine/common/schema'
import type { Directory } from './recipients.ts'

/**
 * The configuration the alarm decides by — who is who, silences, inhibition rules, escalation
 * policies — reloaded whole on every change (the config passes), read without I/O per event.
 */
export class AlarmView {
  #directory: Directory = {
    tree: new Tree({ nodes: [] }),
    users: new Map(),
    teams: new Map(),
    subscriptions: [],
  }
  #silences: Silence[] = []
  #inhibition: InhibitionRule[] = effectiveInhibitionRules([])
  #escalation: EscalationPolicy[] = []

  async load(config: ConfigStore): Promise<void> {
    const [{ tree }, users, teams, subscriptions, silences, rules, policies] = await Promise.all([
      config.tree(),
      config.users.list(),
      config.teams.list(),
      config.subscriptions.list(),
      config.silences.list(),
      config.inhibitionRules.list(),
      config.escalationPolicies.list(),
    ])
    this.#directory = {
      tree,
      users: new Map(users.map((u) => [u.value.name, u.value])),
      teams: new Map(teams.map((t) => [t.value.name, t.value])),
      subscriptions: subscriptions.map((s) => s.value),
    }
    this.#silences = silences.map((s) => s.value)
    this.#inhibition = effectiveInhibitionRules(rules.map((r) => r.value))
    this.#escalation = policies.map((p) => p.value)
  }

  get directory(): Directory {
    return this.#directory
  }

  silencesOf(event: AlertEvent, nowSeconds: number): string[] {
    return silenced(this.#silences, event, nowSeconds, this.#directory.tree)
  }

  /** What holds `event` back among `sources` (the firing events isInhibitionSource keeps). */
  inhibitionsOf(event: AlertEvent, sources: readonly AlertEvent[]): string[] {
    return inhibitedBy(this.#inhibition, sources, event).map((i) => `rule ${i.rule} (event ${i.source})`)
  }

  isInhibitionSource(event: AlertEvent): boolean {
    return inhibitionSource(this.#inhibition, event)
  }

  escalationOf(event: AlertEvent): EscalationPolicy | null {
    return escalationFor(this.#escalation, this.#directory.tree, event)
  }
}
