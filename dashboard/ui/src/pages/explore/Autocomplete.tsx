import { useEffect, useId, useRef, useState } from 'react'

export interface AutocompleteProps {
  label: string
  value: string
  onChange(value: string): void
  /** The suggestions for what is typed so far; a newer call aborts the older one. */
  suggest(prefix: string, signal: AbortSignal): Promise<string[]>
  placeholder?: string
}

/** Typing settles for this long before suggestions are asked for: one request per pause. */
export const SUGGEST_DELAY_MS = 150
/** Suggestions shown at once: the rest come by typing more. */
const SHOWN = 20

/**
 * A text input suggesting values as one types (the ARIA combobox pattern): arrows move through
 * the suggestions, Enter takes one, Escape closes them; a click takes one too. Any text may be
 * typed: the suggestions only help.
 */
export function Autocomplete(props: AutocompleteProps) {
  const { value, onChange, suggest } = props
  const listId = useId()
  const [open, setOpen] = useState(false)
  const [options, setOptions] = useState<string[]>([])
  const [active, setActive] = useState(-1)
  const suggestRef = useRef(suggest)
  suggestRef.current = suggest

  useEffect(() => {
    if (!open) return
    const ctrl = new AbortController()
    const timer = setTimeout(() => {
      suggestRef.current(value, ctrl.signal).then(
        (found) => {
          if (ctrl.signal.aborted) return
          setOptions(found.slice(0, SHOWN))
          setActive(-1)
        },
        () => !ctrl.signal.aborted && setOptions([]),
      )
    }, SUGGEST_DELAY_MS)
    return () => {
      clearTimeout(timer)
      ctrl.abort()
    }
  }, [value, open])

  const take = (option: string) => {
    onChange(option)
    setOpen(false)
  }
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault()
      if (!open) return setOpen(true)
      const step = e.key === 'ArrowDown' ? 1 : -1
      setActive((a) => (options.length ? (a + step + options.length) % options.length : -1))
    } else if (e.key === 'Enter' && open && active >= 0 && options[active] !== undefined) {
      e.preventDefault()
      take(options[active])
    } else if (e.key === 'Escape' && open) {
      e.preventDefault()
      setOpen(false)
    }
  }
  const shown = open && options.length > 0
  return (
    <div className="autocomplete">
      <label>
        {props.label}
        <input
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={shown}
          aria-controls={listId}
          aria-activedescendant={shown && active >= 0 ? `${listId}-${active}` : undefined}
          autoComplete="off"
          spellCheck={false}
          placeholder={props.placeholder}
          value={value}
          onChange={(e) => {
            onChange(e.target.value)
            setOpen(true)
          }}
          onFocus={() => setOpen(true)}
          onBlur={() => setOpen(false)}
          onKeyDown={onKeyDown}
        />
      </label>
      <div id={listId} role="listbox" aria-label={`${props.label} suggestions`} hidden={!shown}>
        {options.map((o, i) => (
          <div
            key={o}
            id={`${listId}-${i}`}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            // mousedown, not click: the input must not lose focus (which closes the list) first.
            onMouseDown={(e) => {
              e.preventDefault()
              take(o)
            }}
          >
            {o}
          </div>
        ))}
      </div>
    </div>
  )
}
