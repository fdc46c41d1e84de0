import { type FormEvent, useEffect, useState } from 'react'
import { Field } from '../../forms/Field.tsx'
import { InputWithSuggestions } from '../../forms/InputWithSuggestions.tsx'
import type { Filters } from './url-filters.ts'

/** One filter: a text input (with suggestions) or a select; `validate` answers what is wrong, if anything. */
export interface FilterField<K extends string> {
  key: K
  label: string
  options?: readonly { value: string; label: string }[]
  suggestions?: readonly { value: string; label?: string }[]
  type?: 'text' | 'datetime-local'
  /** The URL's value as the input shows it, and back; plain text when absent. */
  toInput?: (url: string) => string
  fromInput?: (input: string) => string
  validate?: (input: string) => string | undefined
}

type Values<K extends string> = Record<K, string>

/**
 * A row of filters applied together (Apply, or Enter in a field); a select applies at once. The
 * inputs follow the URL when it changes (Back, a link), and each says what is wrong with it
 * before anything is asked of the server.
 */
export function FilterForm<K extends string>(props: {
  label: string
  fields: readonly FilterField<K>[]
  values: Filters<K>
  onApply: (values: Partial<Filters<K>>) => void
}) {
  const { fields, values, onApply } = props
  const each = (f: (field: FilterField<K>) => string) =>
    Object.fromEntries(fields.map((field) => [field.key, f(field)])) as Values<K>
  const fromUrl = () => each((f) => (f.toInput ?? String)(values[f.key] ?? ''))
  const [draft, setDraft] = useState(fromUrl)
  // Only a change of the URL resets the inputs, not every render.
  useEffect(() => setDraft(fromUrl()), [values])

  const errorOf = (f: FilterField<K>) => (draft[f.key] ? f.validate?.(draft[f.key]) : undefined)
  const valid = fields.every((f) => !errorOf(f))
  const submit = (e: FormEvent) => {
    e.preventDefault()
    if (valid) onApply(each((f) => (draft[f.key] ? (f.fromInput ?? String)(draft[f.key]) : '')))
  }
  const choose = (key: K, value: string) => {
    setDraft({ ...draft, [key]: value })
    onApply({ [key]: value } as Partial<Filters<K>>)
  }

  return (
    <form className="row filters" aria-label={props.label} onSubmit={submit} noValidate>
      {fields.map((f) => (
        <Field key={f.key} label={f.label} error={errorOf(f)}>
          {(field) =>
            f.options ? (
              <select {...field} value={draft[f.key]} onChange={(e) => choose(f.key, e.target.value)}>
                {f.options.map((o) => (
                  <option key={o.value} value={o.value}>
                    {o.label}
                  </option>
                ))}
              </select>
            ) : (
              <InputWithSuggestions
                {...field}
                type={f.type ?? 'text'}
                value={draft[f.key]}
                suggestions={f.suggestions}
                onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })}
              />
            )
          }
        </Field>
      ))}
      {fields.some((f) => !f.options) && (
        <button type="submit" disabled={!valid}>
          Apply
        </button>
      )}
      <button type="button" onClick={() => onApply(each(() => ''))}>
        Clear
      </button>
    </form>
  )
}
