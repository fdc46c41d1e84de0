import type { z } from 'zod'
import { ApiError } from '../../api.ts'

/** A message per field, keyed by the field's top-level name; '' is the form as a whole. */
export type FieldErrors = Record<string, string>

/**
 * The first message per field of a zod check. A list field's fields are keyed by the list (the
 * form has one input for it), with the item at fault named in the message.
 */
export function fieldErrors(schema: z.ZodType, body: unknown): FieldErrors {
  const result = schema.safeParse(body)
  if (result.success) return {}
  const errors: FieldErrors = {}
  for (const issue of result.error.issues) {
    const [key = '', item] = issue.path
    errors[String(key)] ??= typeof item === 'number' ? `item ${item + 1}: ${issue.message}` : issue.message
  }
  return errors
}

/**
 * The field a server 400 names, keyed as fieldErrors keys it, with its message minus the
 * `body.field: ` the server puts first (the form shows it beside the field already).
 */
export function serverFieldError(err: unknown): { field: string; message: string } | null {
  if (!(err instanceof ApiError) || err.status !== 400 || !err.field) return null
  const [field = ''] = err.field.split('.')
  return { field, message: err.message.replace(/^\w+\.[\w.]+: /, '') }
}
