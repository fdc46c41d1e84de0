import { z } from 'zod'
import { ChartQuery, Screen, ScreenChart, screenFields } from '../model/screen.ts'
import { NodePath } from '../model/tree.ts'

/**
 * Bodies, query strings and answers of the screen routes; shared with the CLI and (as types) the
 * browser. Strict like every body: an unknown field is a 400 naming it.
 */

const revision = z.number().int().nonnegative().describe('The revision the edit is based on')
const storedRevision = z.number().int().positive().describe('Send it back to update or delete')

export const ScreenCreate = z.strictObject({ node: NodePath, ...screenFields })
/** Replaces the screen; a `node` other than its own moves it there. */
export const ScreenUpdate = ScreenCreate.safeExtend({ revision })

export const ScreensQuery = z
  .strictObject({
    node: NodePath.optional().describe('Only the screens of this node'),
    inherited: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('With node: also the screens of the nodes above it'),
  })
  .refine((q) => !q.inherited || q.node !== undefined, {
    path: ['inherited'],
    message: 'inherited needs node',
  })

/** As stored, but `node` is a path and tags are plain canonical text. */
const ChartView = z.object({
  ...ScreenChart.shape,
  queries: z.array(
    z.object({
      ...ChartQuery.shape,
      tags: z.string().describe('Canonical tags, k=v,k2=v2 sorted by key'),
    }),
  ),
})
export const ScreenView = z.object({
  ...Screen.shape,
  charts: z.array(ChartView),
  node: z.string().nullable().describe('Tree path; null once the node is gone'),
  nodeId: z.string(),
  revision: storedRevision,
})
export const ScreensResponse = z.object({ screens: z.array(ScreenView) })
