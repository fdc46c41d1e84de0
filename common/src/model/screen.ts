import { z } from 'zod'
import { SCREEN_LIMITS } from './screen-limits.ts'
import { TagText } from './tree.ts'

/**
 * Screens: saved grids of charts, each bound to a tree node. Stored in the configuration KV
 * (ConfigStore.screens) by id, with the node's id (so a screen follows its subtree when it is
 * renamed or moved); the API shows the node's path.
 */

/** Text people read on a screen: trimmed, not empty, one line. */
const label = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'one line of text, no control characters')

/**
 * The endpoints a query draws: one endpoint exactly (`web-1`), or every endpoint whose name
 * starts with a prefix, written with a trailing `*` (`web-*`; `*` alone: every endpoint).
 */
export const EndpointPattern = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^*]*\*?$/, 'an endpoint, or a prefix followed by * (web-*): * only at the end')

/** One line (or a line per endpoint the pattern matches, and per series the tags select). */
export const ChartQuery = z.strictObject({
  endpoint: EndpointPattern,
  metric: z.string().min(1).max(510),
  /** Tags the series must have (a subset, like the history API's `tags`). */
  tags: TagText,
})
export type ChartQuery = z.infer<typeof ChartQuery>

export const ScreenChart = z.strictObject({
  title: label(SCREEN_LIMITS.title),
  unit: z.string().trim().max(SCREEN_LIMITS.unit).optional(),
  /** Pixels; the page's default when absent. */
  height: z.number().int().min(SCREEN_LIMITS.minHeight).max(SCREEN_LIMITS.maxHeight).optional(),
  queries: z.array(ChartQuery).min(1).max(SCREEN_LIMITS.queries),
})
export type ScreenChart = z.infer<typeof ScreenChart>

/** What people write of a screen, besides where it is. The charts' order is the grid's. */
export const screenFields = {
  /** Unique within its node: strategies-as-code refers to a screen by node and name. */
  name: label(SCREEN_LIMITS.name),
  charts: z.array(ScreenChart).max(SCREEN_LIMITS.charts).default([]),
}

const unixSeconds = z
  .number()
  .int()
  .nonnegative()
  .max(2 ** 32 - 1)

export const Screen = z.object({
  id: z.string().min(1).max(64),
  /** The tree node's id. */
  node: z.string().min(1).max(128),
  ...screenFields,
  /** Names of the tokens that created it and changed it last. */
  createdBy: z.string().max(256),
  createdAt: unixSeconds,
  updatedBy: z.string().max(256),
  updatedAt: unixSeconds,
})
export type Screen = z.infer<typeof Screen>
