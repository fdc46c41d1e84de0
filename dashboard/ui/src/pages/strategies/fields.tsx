import { createContext, type ReactNode, useContext } from 'react'
import { type ControlProps, Field } from '../../forms/Field.tsx'

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

/** The element id of a field's input (its error is `<id>-error`, its hint `<id>-hint`). */
export const idOf = (field: string) => `strategy-${field.replaceAll('.', '-')}`

interface FieldProps<T> {
  /** The field's name as the API names it (`threshold`, `activeWindow.from`, `also.0.metric`). */
  field: string
  label: string
  value: T
  onChange(value: T): void
  hint?: string
  className?: string
}

/** A field of the editor: its error from the form, its input named and left as the API names it. */
function StrategyField(
  props: Pick<FieldProps<unknown>, 'field' | 'label' | 'hint' | 'className'> & {
    children(control: ControlProps & BoundProps): ReactNode
  },
) {
  const { errorOf, touch, disabled } = useContext(FieldsContext)
  return (
    <Field
      id={idOf(props.field)}
      label={props.label}
      error={errorOf(props.field)}
      hint={props.hint}
      className={props.className}
    >
      {(control) =>
        props.children({ ...control, name: props.field, disabled, onBlur: () => touch(props.field) })
      }
    </Field>
  )
}
type BoundProps = { name: string; disabled: boolean; onBlur(): void }

export function TextField(
  props: FieldProps<string> & {
    placeholder?: string
    inputMode?: 'decimal' | 'numeric'
    multiline?: boolean
  },
) {
  return (
    <StrategyField {...props}>
      {(control) => {
        const common = { ...control, value: props.value, placeholder: props.placeholder }
        return props.multiline ? (
          <textarea {...common} rows={3} onChange={(e) => props.onChange(e.target.value)} />
        ) : (
          <input
            {...common}
            type="text"
            inputMode={props.inputMode}
            autoComplete="off"
            onChange={(e) => props.onChange(e.target.value)}
          />
        )
      }}
    </StrategyField>
  )
}

export function SelectField<T extends string>(
  props: FieldProps<T> & { options: readonly (T | { value: T; label: string })[] },
) {
  return (
    <StrategyField {...props}>
      {(control) => (
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
      )}
    </StrategyField>
  )
}

export function CheckboxField(props: FieldProps<boolean>) {
  return (
    <StrategyField {...props} className={`field-checkbox ${props.className ?? ''}`}>
      {(control) => (
        <input
          {...control}
          type="checkbox"
          checked={props.value}
          onChange={(e) => props.onChange(e.target.checked)}
        />
      )}
    </StrategyField>
  )
}
