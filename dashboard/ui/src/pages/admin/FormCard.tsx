import type { ReactNode, RefObject } from 'react'
import { ChangeError } from './ChangeError.tsx'

/**
 * The frame of every form of these pages: a title, the fields, what failed that is no field's
 * (a 403, a 409), submit and cancel. The browser's own validation is off: the schema's messages
 * show beside the fields instead.
 */
export function FormCard(props: {
  title: string
  submitLabel: string
  /** The form's state: busy while sending, what failed, where an invalid save looks for the field to focus. */
  form: { busy: boolean; failure: unknown; ref: RefObject<HTMLFormElement | null> }
  onSubmit(): void
  onCancel?(): void
  children: ReactNode
}) {
  return (
    <form
      ref={props.form.ref}
      className="card stack admin-form"
      aria-label={props.title}
      noValidate
      onSubmit={(e) => {
        e.preventDefault()
        props.onSubmit()
      }}
    >
      <h2>{props.title}</h2>
      <div className="row">{props.children}</div>
      <ChangeError error={props.form.failure} />
      <div className="row">
        <button type="submit" className="primary" disabled={props.form.busy}>
          {props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  )
}
