import { useState } from 'react'
import type { z } from 'zod'
import { type FieldErrors, fieldErrors, serverFieldError } from './form.ts'

export interface Form<V extends object, B> {
  values: V
  set<K extends keyof V & string>(name: K, value: V[K]): void
  /** The message to show beside a field: the server's, else the schema's once the field was edited. */
  error(name: keyof V & string): string | undefined
  /** A failure that belongs to no field (403, 409, a network error…). */
  failure: unknown
  busy: boolean
  /** Checks everything (showing every field's message) and sends the body when it is valid. */
  submit(send: (body: B) => Promise<void>): Promise<void>
}

/**
 * A form checked as the user types by the zod schema the server validates the same body with, so
 * a message appears beside the field before any request; a server 400 lands on the field it names.
 * `check` adds what the schema cannot know (the signed-in token's scope); its messages win.
 */
export function useForm<V extends object, B>(opts: {
  initial: V
  toBody(values: V): B
  schema: z.ZodType
  check?(values: V): FieldErrors
}): Form<V, B> {
  const [values, setValues] = useState(opts.initial)
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set())
  const [submitted, setSubmitted] = useState(false)
  const [server, setServer] = useState<FieldErrors>({})
  const [failure, setFailure] = useState<unknown>()
  const [busy, setBusy] = useState(false)

  const body = opts.toBody(values)
  const errors = { ...fieldErrors(opts.schema, body), ...opts.check?.(values) }

  return {
    values,
    set(name, value) {
      setValues((v) => ({ ...v, [name]: value }))
      setEdited((e) => new Set(e).add(name))
      setServer(({ [name]: _, ...rest }) => rest)
    },
    error: (name) => server[name] ?? (submitted || edited.has(name) ? errors[name] : undefined),
    failure: failure ?? (submitted ? errors[''] : undefined),
    busy,
    async submit(send) {
      setSubmitted(true)
      setFailure(undefined)
      if (Object.keys(errors).length > 0) return
      setBusy(true)
      try {
        await send(body)
        setServer({})
      } catch (err) {
        const onField = serverFieldError(err)
        if (onField && onField.field in values) setServer({ [onField.field]: onField.message })
        else setFailure(err)
      } finally {
        setBusy(false)
      }
    },
  }
}
