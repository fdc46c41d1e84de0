import type { z } from 'zod'
import { type CheckedForm, type FieldErrors, useCheckedForm } from '../../forms/use-checked-form.ts'
import { fieldErrors } from './form.ts'

export interface Form<V extends object, B> extends CheckedForm<V, B> {
  set<K extends keyof V & string>(name: K, value: V[K]): void
}

/**
 * A form of these pages: one input per top-level field of the body, checked as the user types
 * by the zod schema the server validates the body with; a server 400 lands on the field it names.
 * `check` adds what the schema cannot know (the signed-in token's scope); its messages win.
 */
export function useForm<V extends object, B>(opts: {
  initial: V
  toBody(values: V): B
  schema: z.ZodType
  check?(values: V): FieldErrors
}): Form<V, B> {
  const form = useCheckedForm({
    initial: opts.initial,
    check: (values: V) => {
      const body = opts.toBody(values)
      return { body, errors: { ...fieldErrors(opts.schema, body), ...opts.check?.(values) } }
    },
    // The form has one input per top-level field: `members.1` is the Members input's.
    fieldOf: (err) => {
      const [top] = err.status === 400 && err.field ? err.field.split('.') : []
      return top !== undefined && top in opts.initial ? top : undefined
    },
  })
  return {
    ...form,
    set: (name, value) => form.change({ [name]: value } as unknown as Partial<V>, name),
    failure: form.failure ?? form.error(''),
  }
}
