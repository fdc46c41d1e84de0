import type { z } from 'zod'
import type { FieldErrors } from '../../forms/use-checked-form.ts'

/**
 * The first message per field of a zod check. A list field's fields are keyed by the list (the
 * form has one input for it), with the item at fault named in the message.
 */
export function fieldErrors(schema: z.ZodType, body: unknown): FieldErrors {
  const result = schema.safeParse(body)
  if (result.success) return {}
  const errors: Record<string, string> = {}
  for (const issue of result.error.issues) {
    const [key = '', item] = issue.path
    errors[String(key)] ??= typeof item === 'number' ? `item ${item + 1}: ${issue.message}` : issue.message
  }
  return errors
}
