import { z } from 'zod'
import { EventEntry } from './events.ts'
import { SilenceView } from './silences.ts'

/** The deploy gate, GET /api/v1/health: is a subtree healthy, in one call (docs/deploy-gate.md). */

/** Most events one answer lists (the counts cover all of them). */
export const MAX_HEALTH_EVENTS = 100

export const HealthQuery = z.strictObject({
  node: z.string().min(1).max(512).describe('Tree path, or node id'),
  since: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(4_294_967_295)
    .optional()
    .describe('Unix seconds: a host counts as up only with a heartbeat from then on (when the deploy began)'),
  ownSilence: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe("The deploy's own silence (its id): the events only it holds still make the subtree unhealthy"),
  maxPriority: z.coerce
    .number()
    .int()
    .min(0)
    .max(6)
    .default(6)
    .describe('Only events of this priority or more urgent (0 is the most) make it unhealthy'),
})

const count = z.number().int().nonnegative()

export const HealthResponse = z.object({
  node: z.string().describe('Tree path'),
  healthy: z.boolean(),
  reasons: z.array(z.string()).describe('Why not healthy; empty when healthy'),
  checkedAt: z.number().describe('Unix seconds'),
  firing: z.object({
    total: count.describe('Firing events not silenced, every priority'),
    byPriority: z.object({ P0: count, P1: count, P2: count, P3: count, P4: count, P5: count, P6: count }),
    silenced: count.describe('Firing events an active silence (other than ownSilence) holds'),
    events: z.array(EventEntry).describe(`Not silenced, most urgent first; at most ${MAX_HEALTH_EVENTS}`),
  }),
  hosts: z.object({
    total: count.describe('Hosts bound at or below the node'),
    withoutHeartbeat: z.array(
      z.object({
        host: z.string(),
        lastHeartbeat: z.number().nullable().describe('Unix seconds; null: none in the last day'),
      }),
    ),
  }),
  silences: z.array(SilenceView).describe('Active silences that reach into the subtree'),
})
export type HealthResponse = z.infer<typeof HealthResponse>
