/**
 * The bounds of a screen. Without imports on purpose: the API's schemas check them, and the
 * browser's screen editor imports them at run time to offer only what will be accepted.
 */
export const SCREEN_LIMITS = {
  /** Characters of a screen's name. */
  name: 128,
  /** Charts on one screen. */
  charts: 50,
  /** Queries of one chart. */
  queries: 20,
  /** Characters of a chart's title. */
  title: 128,
  /** Characters of a chart's unit (`%`, `req/s`). */
  unit: 32,
  /** A chart's height in pixels. */
  minHeight: 120,
  maxHeight: 800,
  /** Screens bound to one tree node. */
  perNode: 200,
  /** A stored screen as JSON: a KV value must stay well below NATS's message size. */
  bytes: 256 * 1024,
} as const
