import { createHash } from 'node:crypto'
import type { Logger } from '@peregrine/common/log'
import type { AlertEvent } from '@peregrine/common/schema'
import type { Firing, FiringState } from './firing.ts'
import type { Batch } from './merge.ts'
import { type Directory, recipientsOf } from './recipients.ts'

/** One level of an escalation policy: who is told once a PROBLEM is unacknowledged this long. */
export interface EscalationStep {
  afterSeconds: number
  teams: readonly string[]
}

export interface EscalationDeps {
  log: Logger
  firing: FiringState
  directory(): Directory
  /** The steps of the policy that applies to the event's node (inherited down the tree); [] for none. */
  stepsFor(event: AlertEvent): readonly EscalationStep[]
  acknowledged(event: AlertEvent): Promise<boolean>
  /** Claims and delivers one notification (the pipeline's path after merging). */
  send(batch: Batch): Promise<void>
}

/**
 * Walks the PROBLEMs that were told and are not acknowledged, and tells each due step's teams.
 * A step's notification id is the PROBLEM (key and start) × step × recipient: every instance may
 * walk, each step goes out once.
 */
export async function escalate(deps: EscalationDeps, nowSeconds: number): Promise<void> {
  for await (const f of deps.firing.all()) {
    if (!f.notified) continue
    const due = deps.stepsFor(f.event).filter((s) => nowSeconds - f.since >= s.afterSeconds)
    if (due.length === 0 || (await deps.acknowledged(f.event))) continue
    const dir = deps.directory()
    for (const [level, step] of due.entries())
      for (const r of recipientsOf(withoutCallback(f.event), step.teams, dir))
        await deps.send({
          id: escalationId(f, level, r.receiver, r.channel, r.address),
          recipient: r,
          events: [f.event],
        })
  }
}

/** Escalation goes to people: the strategy's callback was called with the PROBLEM already. */
function withoutCallback(e: AlertEvent): AlertEvent {
  return { ...e, strategy: { ...e.strategy, callbackUrl: null } }
}

function escalationId(f: Firing, level: number, ...who: string[]): string {
  return createHash('sha256')
    .update(['escalation', f.event.key, f.since, level, ...who].join('\u0000'))
    .digest('hex')
    .slice(0, 32)
}
