import { createContext, type ReactNode, useContext } from 'react'

/** What every field of a form needs: its error (if shown yet), and to say it was left. */
export interface FieldsState {
  errorOf(field: string): string | undefined
  touch(field: string): void
  disabled: boolean
}

export const FieldsContext = createContext<FieldsState>({
  errorOf: () => undefined,
  touch: () => {},
  disabled: false,
})

/** The element id of a field's input; its error is `<id>-error`, its hint `<id>-hint`. */
export const idOf = (field: string) => `strategy-${field.replaceAll('.', '-')}`

/** The attributes that tie an input to its label and its error (aria-describedby). */
function useField(field: string, hint?: string) {
  const { errorOf, touch, disabled } = useContext(FieldsContext)
  const id = idOf(field)
  const error = errorOf(field)
  const describedBy = error ? `${id}-error` : hint ? `${id}-hint` : undefined
  return {
    error,
    id,
    control: {
      id,
      name: field,
      disabled,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
      onBlur: () => touch(field),
    },
  }
}

function Field(props: {
  field: string
  label: string
  hint?: string | undefined
  error: string | undefined
  className?: string | undefined
  children: ReactNode
}) {
  const id = idOf(props.field)
  return (
    <div className={`field ${props.className ?? ''}`}>
      <label htmlFor={id}>{props.label}</label>
      {props.children}
      {props.error ? (
        <span id={`${id}-error`} className="field-error">
          {props.error}
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

interface FieldProps<T> {
  /** The field's name as the API names it (`threshold`, `activeWindow.from`, `also.0.metric`). */
  field: string
  label: string
  value: T
  onChange(value: T): void
  hint?: string
  className?: string
}

export function TextField(
  props: FieldProps<string> & {
    placeholder?: string
    inputMode?: 'decimal' | 'numeric'
    multiline?: boolean
  },
) {
  const { error, control } = useField(props.field, props.hint)
  const common = { ...control, value: props.value, placeholder: props.placeholder }
  return (
    <Field {...props} error={error}>
      {props.multiline ? (
        <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          type="text"
          inputMode={props.inputMode}
          autoComplete="off"
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  )
}

export function SelectField<T extends string>(
  props: FieldProps<T> & { options: readonly (T | { value: T; label: string })[] },
) {
  const { error, control } = useField(props.field, props.hint)
  return (
    <Field {...props} error={error}>
      <select {...control} value={props.value} onChange={(e) => props.onChange(e.target.value as T)}>
        {props.options.map((o) => {
          const { value, label } = typeof o === 'string' ? { value: o, label: o } : o
          return (
            <option key={value} value={value}>
              {label}
            </option>
          )
        })}
      </select>
    </Field>
  )
}

export function CheckboxField(props: FieldProps<boolean>) {
  const { error, control } = useField(props.field, props.hint)
  return (
    <Field {...props} error={error} className={`field-checkbox ${props.className ?? ''}`}>
      <input
        {...control}
        type="checkbox"
        checked={props.value}
        onChange={(e) => props.onChange(e.target.checked)}
      />
    </Field>
  )
}
