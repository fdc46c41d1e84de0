import { z } from 'zod'
import { CounterTypeSchema, canonicalTags } from '../points.ts'

/**
 * Query-string schemas and response shapes of the monitor API, shared by server and UI. Queries are
 * strict: an unknown parameter (a misspelt filter) is a 400, not a silently wider answer.
 */

const unixSeconds = z.coerce.number().int().nonnegative().max(4_294_967_295)
const limit = (dflt: number, max: number) => z.coerce.number().int().positive().max(max).default(dflt)

/** `k=v,k2=v2` text, canonicalised; rejected when a pair is malformed. */
const tagText = z.string().transform((text, ctx) => {
  const tags = canonicalTags(text)
  if (tags === null) {
    ctx.addIssue({ code: 'custom', message: 'tags must be k=v pairs separated by commas' })
    return z.NEVER
  }
  return tags
})

/**
 * One value, or the parameter repeated (`tag=a=1&tag=b=2`), as a list of at most `max`. A value
 * refused is named as it was given: an over-long list says so, not "Invalid input" of the union.
 */
const repeatable = <T extends z.ZodType<string, string>>(one: T, max: number, what: string) =>
  z
    .union([one, z.array(one).max(max, `at most ${max} ${what}`)], {
      error: (issue) =>
        issue.code === 'invalid_union'
          ? issue.errors[Array.isArray(issue.input) ? 1 : 0]?.[0]?.message
          : undefined,
    })
    .transform((v): string[] => (Array.isArray(v) ? v : [v]))

/** A single `k=v`, repeatable in the query string (`tag=a=1&tag=b=2`). */
const tagPair = z.string().regex(/^[^=,]+=[^,]*$/, 'tag must be k=v')
const tagList = repeatable(tagPair, 20, 'tags').default([])

/** Endpoints and metrics one history or last-value request may name (each repeatable). */
export const MAX_NAMES_PER_REQUEST = 50
const endpointNames = repeatable(z.string().min(1).max(255), MAX_NAMES_PER_REQUEST, 'endpoints')
const metricNames = repeatable(z.string().min(1).max(510), MAX_NAMES_PER_REQUEST, 'metrics')

/**
 * Every error answer of the API (400, 401, 403, 404, 409, 500): `field` (400 only) names the body
 * field or query parameter at fault, dotted for nested ones (`activeWindow.from`); `message` says why.
 */
export const ErrorResponse = z.object({
  error: z.string(),
  field: z.string().optional(),
  message: z.string(),
})

export const EndpointsQuery = z.strictObject({
  prefix: z.string().max(255).default('').describe('Endpoint name prefix'),
  limit: limit(1000, 10_000),
})

export const EndpointsResponse = z.object({
  endpoints: z.array(z.object({ endpoint: z.string(), agent: z.string(), lastSeen: z.number() })),
})

export const SeriesQuery = z.strictObject({
  endpoint: z.string().max(255).default('').describe('Endpoint name prefix'),
  metric: z.string().max(510).default('').describe('Metric name prefix'),
  tag: tagList.describe('Tag the series must have, k=v; repeatable'),
  limit: limit(1000, 10_000),
})

const SeriesInfo = z.object({
  endpoint: z.string(),
  metric: z.string(),
  tags: z.string(),
  counterType: CounterTypeSchema,
  step: z.number(),
  lastSeen: z.number(),
})
export const SeriesResponse = z.object({ series: z.array(SeriesInfo) })

export const HistoryQuery = z
  .strictObject({
    endpoint: endpointNames.describe('Exact endpoint; repeatable'),
    metric: metricNames.describe('Exact metric; repeatable: every metric of every endpoint'),
    tags: tagText.default('').describe('Tags the series must have (subset), k=v,k2=v2'),
    from: unixSeconds.optional().describe('Start, unix seconds; default to - 1 h'),
    to: unixSeconds.optional().describe('End, unix seconds; default now'),
    step: z.coerce
      .number()
      .int()
      .positive()
      .max(86_400 * 31)
      .optional()
      .describe('Seconds per returned point'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || q.from < q.to, {
    message: 'from must be before to',
    path: ['from'],
  })

export const RESOLUTIONS = ['raw', '1m', '1h'] as const
export type Resolution = (typeof RESOLUTIONS)[number]

const HistorySeries = SeriesInfo.omit({ lastSeen: true }).extend({
  resolution: z.enum(RESOLUTIONS),
  /** Seconds between returned points. */
  interval: z.number(),
  timestamps: z.array(z.number()),
  /** null where the value is not a finite number (an aggregate or rate beyond Float64's range). */
  values: z.array(z.number().nullable()),
  min: z.array(z.number().nullable()).optional(),
  max: z.array(z.number().nullable()).optional(),
})
export const HistoryResponse = z.object({ from: z.number(), to: z.number(), series: z.array(HistorySeries) })
export type HistorySeries = z.infer<typeof HistorySeries>

export const LastQuery = z.strictObject({
  endpoint: endpointNames.describe('Exact endpoint; repeatable'),
  metric: metricNames.describe('Exact metric; repeatable: every metric of every endpoint'),
  tags: tagText.default(''),
})
export const LastResponse = z.object({
  series: z.array(
    SeriesInfo.omit({ lastSeen: true }).extend({
      timestamp: z.number().nullable(),
      value: z.number().nullable(),
    }),
  ),
})
