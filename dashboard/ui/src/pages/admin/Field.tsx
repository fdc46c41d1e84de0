import type { InputHTMLAttributes } from 'react'
import { Field } from '../../forms/Field.tsx'
import { InputWithSuggestions, type Suggestion } from '../../forms/InputWithSuggestions.tsx'
import type { Form } from './use-form.ts'

type StringKeys<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V] & string

/** A text input (one line with suggestions, or several lines) bound to a string field of the form, with its message. */
export function TextField<V extends object, B>({
  form,
  name,
  label,
  hint,
  multiline,
  suggestions,
  ...input
}: {
  form: Form<V, B>
  name: StringKeys<V>
  label: string
  hint?: string
  multiline?: boolean
  suggestions?: readonly Suggestion[]
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'form' | 'name' | 'value' | 'onChange'>) {
  const bound = {
    name,
    value: form.values[name] as string,
    onChange: (e: { target: { value: string } }) => form.set(name, e.target.value as V[typeof name]),
  }
  return (
    <Field label={label} error={form.error(name)} hint={hint}>
      {(control) =>
        multiline ? (
          <textarea {...control} {...bound} rows={3} />
        ) : (
          <InputWithSuggestions {...input} {...control} {...bound} suggestions={suggestions} />
        )
      }
    </Field>
  )
}
