import { type InputHTMLAttributes, type ReactNode, useId } from 'react'
import type { Form } from './use-form.ts'

/** What a control needs to be tied to its field's message. */
export interface ControlProps {
  id: string
  name: string
  'aria-invalid': true | undefined
  'aria-describedby': string | undefined
}

type StringKeys<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V] & string

/**
 * A labelled control and, below it, the field's message, announced as the control's description
 * (kept out of the label, which names the control).
 */
export function Field<V extends object, B>(props: {
  form: Form<V, B>
  name: keyof V & string
  label: string
  hint?: string
  children(control: ControlProps): ReactNode
}) {
  const id = useId()
  const error = props.form.error(props.name)
  return (
    <div className="field">
      <label htmlFor={`${id}-control`}>{props.label}</label>
      {props.children({
        id: `${id}-control`,
        name: props.name,
        'aria-invalid': error ? true : undefined,
        'aria-describedby': error ? id : props.hint ? `${id}-hint` : undefined,
      })}
      {error ? (
        <span id={id} className="field-error">
          {error}
        </span>
      ) : (
        props.hint && (
          <span id={`${id}-hint`} className="muted field-hint">
            {props.hint}
          </span>
        )
      )}
    </div>
  )
}

/** A text input bound to a string field of the form. */
export function TextField<V extends object, B>({
  form,
  name,
  label,
  hint,
  ...input
}: { form: Form<V, B>; name: StringKeys<V>; label: string; hint?: string } & Omit<
  InputHTMLAttributes<HTMLInputElement>,
  'form' | 'name' | 'value' | 'onChange'
>) {
  return (
    <Field form={form} name={name} label={label} hint={hint}>
      {(control) => (
        <input
          {...input}
          {...control}
          value={form.values[name] as string}
          onChange={(e) => form.set(name, e.target.value as V[typeof name])}
        />
      )}
    </Field>
  )
}

/** A multi-line text input bound to a string field of the form. */
export function TextAreaField<V extends object, B>(props: {
  form: Form<V, B>
  name: StringKeys<V>
  label: string
  hint?: string
}) {
  const { form, name } = props
  return (
    <Field form={form} name={name} label={props.label} hint={props.hint}>
      {(control) => (
        <textarea
          {...control}
          rows={3}
          value={form.values[name] as string}
          onChange={(e) => form.set(name, e.target.value as V[typeof name])}
        />
      )}
    </Field>
  )
}
