import { type ReactNode, useId } from 'react'
import { describedBy, FieldNote } from './Field.tsx'
import './forms.css'

/**
 * A group of checkboxes choosing values (priorities, weekdays, teams), with what is wrong with the
 * choice under them. The group takes focus (not by Tab) so a refused choice can be brought into view.
 */
export function Checkboxes<T extends string | number>(props: {
  legend: string
  options: readonly { value: T; label: string }[]
  chosen: readonly T[]
  /** The values chosen, in the order they were picked. */
  onChange(chosen: T[]): void
  error?: string | undefined
  /** The group's id where the page must find it by field; otherwise one of React's. */
  id?: string | undefined
  disabled?: boolean | undefined
  /** Shown above the boxes (what is loading, or why there are none). */
  children?: ReactNode
}) {
  const generated = useId()
  const id = props.id ?? generated
  const flip = (value: T, on: boolean) =>
    props.onChange(on ? [...props.chosen, value] : props.chosen.filter((v) => v !== value))
  return (
    <fieldset
      id={id}
      tabIndex={-1}
      className="checkboxes"
      disabled={props.disabled}
      {...describedBy(id, props.error)}
    >
      <legend>{props.legend}</legend>
      {props.children}
      {props.options.map((o) => (
        <label key={o.value} className="check">
          <input
            type="checkbox"
            checked={props.chosen.includes(o.value)}
            onChange={(e) => flip(o.value, e.target.checked)}
          />
          {o.label}
        </label>
      ))}
      <FieldNote id={id} error={props.error} />
    </fieldset>
  )
}
