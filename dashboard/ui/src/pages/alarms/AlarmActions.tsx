import { type FormEvent, useId, useState } from 'react'
import { Link } from 'react-router'
import { seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { useSession } from '../../session.tsx'
import type { FiringEvent } from '../../types.ts'
import { DEFAULT_HOURS, silenceLink } from '../silences/prefill.ts'

/**
 * What a deployer (in scope) does about a firing alarm: acknowledge it with a note, withdraw an
 * acknowledgement, or silence what it matches. The caller offers this only to those who may.
 */
export function AlarmActions({ event, onChanged }: { event: FiringEvent; onChanged: () => void }) {
  const { api } = useSession()
  const [noting, setNoting] = useState(false)
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>()
  const noteId = useId()
  const url = `/api/v1/events/${seg(event.key)}/ack`

  const run = async (call: () => Promise<unknown>) => {
    setBusy(true)
    try {
      await call()
      setError(undefined)
      setNoting(false)
      setNote('')
      onChanged()
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const acknowledge = (e: FormEvent) => {
    e.preventDefault()
    void run(() => api.post(url, note.trim() ? { note: note.trim() } : {}))
  }
  const silence = silenceLink({
    hosts: [event.endpoint],
    strategy: event.strategy.id || undefined,
    hours: DEFAULT_HOURS,
  })

  return (
    <div className="alarm-actions">
      {event.ack ? (
        <button type="button" disabled={busy} onClick={() => run(() => api.delete(url))}>
          Withdraw acknowledgement
        </button>
      ) : noting ? (
        <form className="inline-form" onSubmit={acknowledge} aria-label={`Acknowledge ${event.endpoint}`}>
          <label htmlFor={noteId}>Note (optional)</label>
          <input
            id={noteId}
            value={note}
            maxLength={1000}
            placeholder="What is being done"
            onChange={(e) => setNote(e.target.value)}
            // biome-ignore lint/a11y/noAutofocus: the field the user just asked for
            autoFocus
          />
          <button type="submit" className="primary" disabled={busy}>
            Acknowledge
          </button>
          <button type="button" onClick={() => setNoting(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <button type="button" onClick={() => setNoting(true)}>
          Acknowledge…
        </button>
      )}
      <Link className="button" to={silence}>
        Silence…
      </Link>
      <ErrorNote error={error} />
    </div>
  )
}
