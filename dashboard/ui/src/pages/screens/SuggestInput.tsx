import { useEffect, useId, useState } from 'react'
import type { Api } from '../../api.ts'
import { InputWithSuggestions } from '../../forms/InputWithSuggestions.tsx'
import { useApi } from '../../use-api.ts'

/** `value`, once it has not changed for `ms`: suggestions are asked for when typing pauses. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value)
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms)
    return () => clearTimeout(timer)
  }, [value, ms])
  return settled
}

export interface SuggestInputProps {
  label: string
  value: string
  onChange(value: string): void
  /** Suggestions for what is typed; `context` is what else they depend on (e.g. the endpoint). */
  suggest(api: Api, text: string, signal: AbortSignal): Promise<string[]>
  context?: string
  /** The body field it edits (`charts.0.queries.1.metric`), to mark and focus it when refused. */
  field: string
  invalid: boolean
  maxLength: number
  placeholder?: string
}

/** A text input with suggestions from the API, asked for only while the input has focus. */
export function SuggestInput(props: SuggestInputProps) {
  const id = useId()
  const [focused, setFocused] = useState(false)
  const text = useSettled(props.value, 250)
  const options = useApi(
    (api, signal) => (focused ? props.suggest(api, text, signal) : Promise.resolve([])),
    [focused, text, props.context],
  )
  return (
    <label htmlFor={id}>
      {props.label}
      <InputWithSuggestions
        id={id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
        suggestions={options.data ?? []}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        data-field={props.field}
        aria-invalid={props.invalid || undefined}
        autoComplete="off"
      />
    </label>
  )
}
