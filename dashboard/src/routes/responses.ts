import { ErrorResponse } from '@peregrine/common'
import { z } from 'zod'

/** Error answers a route may give besides 401, which every /api/v1 route can give. */
type ErrorCode = 400 | 403 | 404 | 409

const ERRORS = {
  400: ErrorResponse.describe('Invalid input: `field` names the body field or query parameter at fault'),
  401: ErrorResponse.describe('No valid API token: Authorization: Bearer pgt_<id>_<secret>'),
  403: ErrorResponse.describe("The token's role or scope does not allow this"),
  404: ErrorResponse.describe('It does not exist (or a tree node it names does not)'),
  409: ErrorResponse.describe('Changed since the revision or version sent, or already exists'),
} as const

const SUCCESS = { 200: 'OK', 201: 'Created', 204: 'Done; no content' } as const

/** The body of a 204: none. JSON Schema's `null` type makes the OpenAPI document list no content. */
export const NoContent = z.void().meta({ type: 'null' })

/**
 * A route's `response` map: its success code and schema, 401, and the errors it can give. Replies are
 * serialized (and checked) through these schemas, and the OpenAPI document lists them.
 */
export function responses<
  C extends keyof typeof SUCCESS,
  S extends z.ZodType,
  const E extends ErrorCode = never,
>(code: C, schema: S, errors: readonly E[] = []): { [K in C]: S } & { [K in 401 | E]: typeof ErrorResponse } {
  const map: Record<number, z.ZodType> = { [code]: schema.describe(SUCCESS[code]), 401: ERRORS[401] }
  for (const e of errors) map[e] = ERRORS[e]
  return map as { [K in C]: S } & { [K in 401 | E]: typeof ErrorResponse }
}

/**
 * A route's `serializerCompiler` that sends its answers as JSON without checking them against its
 * response schemas, which still document them in the OpenAPI document. For answers our own code
 * builds that run to a million numbers, where checking (and copying) each one is a large share of
 * the request: the backtest's verdict columns, history's timestamps and values.
 */
export const uncheckedSerializer = () => (data: unknown) => JSON.stringify(data)
