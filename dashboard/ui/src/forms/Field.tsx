import { type ReactNode, useId } from 'react'
import './forms.css'

/** What a control needs to be tied to its label and to its field's message. */
export interface ControlProps {
  id: string
  'aria-invalid'?: true
  'aria-describedby'?: string
}

/** The attributes that mark a control (or a group) invalid and point at its message or hint. */
export function describedBy(id: string, error: string | undefined, hint?: string | undefined) {
  const described = error ? `${id}-error` : hint ? `${id}-hint` : undefined
  return {
    ...(error ? { 'aria-invalid': true as const } : {}),
    ...(described ? { 'aria-describedby': described } : {}),
  }
}

/** The field's message, or while there is none its hint, under the control: ids as describedBy names them. */
export function FieldNote({
  id,
  error,
  hint,
}: {
  id: string
  error: string | undefined
  hint?: string | undefined
}) {
  if (error)
    return (
      <span id={`${id}-error`} className="field-error">
        {error}
      </span>
    )
  return hint ? (
    <span id={`${id}-hint`} className="muted field-hint">
      {hint}
    </span>
  ) : null
}

/**
 * A labelled control and, below it, the field's message (or, while there is none, its hint),
 * announced as the control's description rather than as part of the label, which names it.
 */
export function Field(props: {
  label: string
  error?: string | undefined
  hint?: string | undefined
  /** The control's id where the page must find it by field; otherwise one of React's. */
  id?: string | undefined
  className?: string | undefined
  children(control: ControlProps): ReactNode
}) {
  const generated = useId()
  const id = props.id ?? generated
  return (
    <div className={props.className ? `field ${props.className}` : 'field'}>
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, ...describedBy(id, props.error, props.hint) })}
      <FieldNote id={id} error={props.error} hint={props.hint} />
    </div>
  )
}
