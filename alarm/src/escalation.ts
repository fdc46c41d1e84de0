import { createHash } from 'node:crypto'
import type { Logger } from '@peregrine/common/log'
import { type AlertEvent, type EscalationPolicy, escalationLevel } from '@peregrine/common/schema'
import type { Firing, FiringState } from './firing.ts'
import type { Batch } from './merge.ts'
import { type Directory, recipientsOf } from './recipients.ts'

export interface EscalationDeps {
  log: Logger
  firing: FiringState
  directory(): Directory
  /** The policy of the event's node (the nearest at or above it); null for none. */
  policyOf(event: AlertEvent): EscalationPolicy | null
  acknowledged(event: AlertEvent): Promise<boolean>
  /** Claims and delivers one notification (the pipeline's path after merging). */
  send(batch: Batch): Promise<void>
}

/**
 * Walks the PROBLEMs that were told and are not acknowledged, and tells the teams of each step
 * they have reached (the last step again every `repeatEverySeconds`, if set). A notification's id
 * is the PROBLEM (key and start) × step × repeat × recipient: every instance may walk, each goes
 * out once. A send that fails is tried again on the next walk.
 */
export async function escalate(deps: EscalationDeps, nowSeconds: number): Promise<void> {
  for (const f of deps.firing.all()) {
    if (!f.notified) continue
    const policy = deps.policyOf(f.event)
    const level = policy && escalationLevel(policy, nowSeconds - f.since)
    if (!policy || !level || (await deps.acknowledged(f.event))) continue
    const dir = deps.directory()
    for (let step = 0; step <= level.step; step++) {
      const repeat = step === level.step ? level.repeat : 0
      // People are escalated to: the strategy's callback was called with the PROBLEM already.
      const event = { ...f.event, strategy: { ...f.event.strategy, callbackUrl: null } }
      for (const r of recipientsOf(event, policy.steps[step]!.teams, dir)) {
        const id = escalationId(f, step, repeat, r.receiver, r.channel, r.address)
        await deps.send({ id, recipient: r, events: [f.event] }).catch((err) => {
          deps.log.warn(
            { err, key: f.event.key, step },
            'an escalation could not be sent; next walk tries again',
          )
        })
      }
    }
  }
}

function escalationId(f: Firing, ...parts: (string | number)[]): string {
  return createHash('sha256')
    .update(['escalation', f.event.key, f.since, ...parts].join('\u0000'))
    .digest('hex')
    .slice(0, 32)
}
