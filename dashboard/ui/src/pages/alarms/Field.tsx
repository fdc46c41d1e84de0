import { type ReactNode, useId } from 'react'
import './field.css'

/** What a labelled control needs to say it is invalid and why. */
export interface FieldProps {
  id: string
  'aria-invalid'?: true
  'aria-describedby'?: string
}

/** A label, its control, and under it what is wrong with the value (read out with the control). */
export function Field(props: {
  label: string
  error?: string | undefined
  hint?: string
  children: (field: FieldProps) => ReactNode
}) {
  const id = useId()
  const described = [props.hint && `${id}-hint`, props.error && `${id}-error`].filter(Boolean).join(' ')
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({
        id,
        ...(props.error ? { 'aria-invalid': true } : {}),
        ...(described ? { 'aria-describedby': described } : {}),
      })}
      {props.hint && (
        <span id={`${id}-hint`} className="muted hint">
          {props.hint}
        </span>
      )}
      {props.error && (
        <span id={`${id}-error`} className="field-error">
          {props.error}
        </span>
      )}
    </div>
  )
}
