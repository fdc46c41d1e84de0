import type { InputHTMLAttributes } from 'react'

/** A value offered for an input, with what it is when the value alone does not say. */
export type Suggestion = string | { value: string; label?: string | undefined }

/**
 * A text input offering `suggestions` in a native datalist (keyboard and screen readers handle it
 * as any), which takes its id from the input's.
 */
export function InputWithSuggestions({
  suggestions,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { id: string; suggestions: readonly Suggestion[] | undefined }) {
  const list = `${input.id}-list`
  return (
    <>
      <input {...input} list={suggestions ? list : undefined} />
      {suggestions && (
        <datalist id={list}>
          {suggestions.map((s) => {
            const { value, label } = typeof s === 'string' ? { value: s, label: undefined } : s
            return (
              <option key={value} value={value}>
                {label}
              </option>
            )
          })}
        </datalist>
      )}
    </>
  )
}
