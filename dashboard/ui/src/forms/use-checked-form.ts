import { type RefObject, useEffect, useMemo, useRef, useState } from 'react'
import { ApiError } from '../api.ts'

/** A message per field, by the name the form gives the field; '' is the form as a whole. */
export type FieldErrors = Readonly<Record<string, string>>

/** What the server refused: on a field of the form (shown there), or the change as a whole. */
export interface Refusal {
  error: unknown
  field?: string
}

export interface CheckedForm<V, B> {
  values: V
  /** The body the values make, as sent. */
  body: B
  /** Every error the check finds now, shown or not. */
  errors: FieldErrors
  /** Changes values; the fields named count as edited (their errors show) and the server's word on them goes. */
  change(patch: Partial<V>, ...fields: string[]): void
  /** Counts a field as edited without a change (left after a visit). */
  touch(field: string): void
  /** What to show at a field: the server's refusal of it, else the check's once edited or a save was tried. */
  error(field: string): string | undefined
  /** The server's last refusal, until a send succeeds or its field is changed. */
  refusal: Refusal | undefined
  /** A refusal that is on no field of the form (a 403, a 409, the network). */
  failure: unknown
  busy: boolean
  /**
   * Tries to save: every error shows, and focus goes to the first field marked; a valid body is
   * sent (a refusal of it kept). Whether the body was valid.
   */
  submit(send: (body: B) => Promise<void>): Promise<boolean>
  /** Runs another request of the form (a delete), busy meanwhile, its refusal kept. Whether it succeeded. */
  run(action: () => Promise<void>): Promise<boolean>
  /** For the <form>: where the first field marked invalid is looked for. */
  ref: RefObject<HTMLFormElement | null>
}

/** "body.match.hosts: Too big…" as the field shows it: without the field's name. */
const withoutField = (message: string) => message.replace(/^body\.[\w.]+: /, '')

/**
 * A form checked as the user types, usually by the zod schema the server checks the same body
 * with, so a message appears beside a field before any request; errors show at the fields edited,
 * and at all once a save was tried. A refusal the server gives on a field lands on it.
 */
export function useCheckedForm<V, B>(opts: {
  initial: V
  /** The body for the values and what is wrong with it; memoize it if it depends on more than the values. */
  check(values: V): { body: B; errors: FieldErrors }
  /** The form's field a refusal is about (by default the field a 400 names), or none: a failure. */
  fieldOf?(err: ApiError): string | undefined
}): CheckedForm<V, B> {
  const [values, setValues] = useState(opts.initial)
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set())
  const [submitted, setSubmitted] = useState(false)
  const [refusal, setRefusal] = useState<Refusal>()
  const [busy, setBusy] = useState(false)
  const [invalidTries, setInvalidTries] = useState(0)
  const ref = useRef<HTMLFormElement>(null)
  const { check, fieldOf = (e) => (e.status === 400 ? e.field : undefined) } = opts
  const { body, errors } = useMemo(() => check(values), [check, values])

  // After an invalid save has marked the fields: take the user to the first.
  useEffect(() => {
    if (invalidTries) ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus()
  }, [invalidTries])

  const touch = (field: string) => setEdited((e) => (e.has(field) ? e : new Set(e).add(field)))
  const run = async (action: () => Promise<void>) => {
    setBusy(true)
    try {
      await action()
      setRefusal(undefined)
      return true
    } catch (error) {
      const field = error instanceof ApiError ? fieldOf(error) : undefined
      setRefusal(field === undefined ? { error } : { error, field })
      return false
    } finally {
      setBusy(false)
    }
  }
  return {
    values,
    body,
    errors,
    change(patch, ...fields) {
      setValues((v) => ({ ...v, ...patch }))
      setEdited((e) => new Set([...e, ...fields]))
      setRefusal((r) => (r?.field !== undefined && fields.includes(r.field) ? undefined : r))
    },
    touch,
    error: (field) =>
      refusal?.field === field && refusal.error instanceof Error
        ? withoutField(refusal.error.message)
        : submitted || edited.has(field)
          ? errors[field]
          : undefined,
    refusal,
    failure: refusal?.field === undefined ? refusal?.error : undefined,
    busy,
    async submit(send) {
      setSubmitted(true)
      if (Object.keys(errors).length) {
        setInvalidTries((n) => n + 1)
        return false
      }
      await run(() => send(body))
      return true
    },
    run,
    ref,
  }
}
