import { useState } from 'react'
import { ChangeError } from './ChangeError.tsx'

/**
 * A destructive action behind a second, explicit click. `onSettled` runs after success and failure
 * alike: either way the list should show what is now stored.
 */
export function ConfirmButton(props: {
  /** Visible text of the first button, e.g. "Delete". */
  label: string
  /** Its accessible name, naming what it acts on: "Delete team ops". */
  name: string
  question: string
  action(): Promise<void>
  onSettled(): void
}) {
  const [asking, setAsking] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const run = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await props.action()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
      setAsking(false)
      props.onSettled()
    }
  }
  return (
    <div className="confirm">
      {asking ? (
        <fieldset className="row">
          <legend>{props.question}</legend>
          <button type="button" className="danger" disabled={busy} onClick={run}>
            Yes, {props.label.toLowerCase()}
          </button>
          {/* biome-ignore lint/a11y/noAutofocus: focus moves to the safe answer when the question appears */}
          <button type="button" autoFocus onClick={() => setAsking(false)}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <button type="button" className="danger" aria-label={props.name} onClick={() => setAsking(true)}>
          {props.label}
        </button>
      )}
      <ChangeError error={error} />
    </div>
  )
}
