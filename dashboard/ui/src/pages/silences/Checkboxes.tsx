import { useId } from 'react'

/** A group of checkboxes choosing numbers (priorities, weekdays), with what is wrong with the choice. */
export function Checkboxes(props: {
  legend: string
  options: readonly { value: number; label: string }[]
  chosen: readonly number[]
  onChange: (chosen: number[]) => void
  error?: string | undefined
}) {
  const id = useId()
  const flip = (value: number, on: boolean) =>
    props.onChange(on ? [...props.chosen, value] : props.chosen.filter((v) => v !== value))
  return (
    <fieldset
      className="checkboxes"
      aria-invalid={props.error ? true : undefined}
      aria-describedby={props.error ? `${id}-error` : undefined}
    >
      <legend>{props.legend}</legend>
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
      {props.error && (
        <span id={`${id}-error`} className="field-error">
          {props.error}
        </span>
      )}
    </fieldset>
  )
}
