import { z } from 'zod'
import {
  anyGiven,
  EscalationPolicy,
  escalationFields,
  InhibitionRule,
  inhibitionFields,
  matchShape,
  NO_MATCHER,
  Silence,
  silenceFields,
} from '../model/alarm.ts'
import { SILENCE_STATES } from '../model/alarm-rules.ts'
import { NodePath } from '../model/tree.ts'

/**
 * Bodies, query strings and answers of the silence, inhibition and escalation routes; shared with
 * the CLI. Strict like every body: an unknown field is a 400 naming it.
 */

/** Most silences in force (active or scheduled) at once: a runaway deploy script stops here. */
export const MAX_SILENCES = 1000
/** Most stored inhibition rules. */
export const MAX_INHIBITION_RULES = 100

const revision = z.number().int().nonnegative().describe('The revision the edit is based on')
const storedRevision = z.number().int().positive().describe('Send it back to update or delete')

/** As stored, but `node` is a tree path. */
export const SilenceMatchBody = z.strictObject(matchShape(NodePath)).refine(anyGiven, NO_MATCHER)
export const SilenceCreate = z.strictObject({ match: SilenceMatchBody, ...silenceFields })
export const SilenceUpdate = SilenceCreate.safeExtend({ revision })
export const SilencesQuery = z.strictObject({
  state: z
    .enum([...SILENCE_STATES, 'all'])
    .optional()
    .describe('Only silences in this state; absent: those in force (active and scheduled)'),
})
export const OptionalRevisionQuery = z.strictObject({
  revision: z.coerce.number().int().positive().optional().describe('When given, only if still at it'),
})

export const SilenceView = z.object({
  ...Silence.shape,
  match: z.object({
    ...matchShape(z.string()),
    node: z.string().nullable().optional().describe('Tree path; null once the node is gone'),
    tags: z.string().optional().describe('Canonical tags, k=v,k2=v2 sorted by key'),
  }),
  state: z.enum(SILENCE_STATES).describe('active now; scheduled: in force, not now; expired: over'),
  revision: storedRevision,
})
export const SilencesResponse = z.object({ silences: z.array(SilenceView) })

/** PUT without revision creates; with one, updates that revision. */
export const InhibitionRuleWrite = z.strictObject({ ...inhibitionFields, revision: revision.optional() })
export const InhibitionRuleView = z.object({
  ...InhibitionRule.shape,
  builtin: z
    .boolean()
    .describe('The built-in heartbeat rule (stored: as changed; revision null: as shipped)'),
  revision: storedRevision.nullable(),
})
export const InhibitionRulesResponse = z.object({ rules: z.array(InhibitionRuleView) })

/** A tree path, or a node id (which also reaches a policy whose node is gone). */
export const NodeRefParam = z.object({ node: z.string().min(1).max(512) })
export const EscalationPolicyWrite = z.strictObject({ ...escalationFields, revision: revision.optional() })
export const EscalationPolicyView = z.object({
  ...EscalationPolicy.shape,
  node: z.string().nullable().describe('Tree path; null once the node is gone'),
  nodeId: z.string(),
  revision: storedRevision,
})
export const EscalationPoliciesResponse = z.object({ policies: z.array(EscalationPolicyView) })
