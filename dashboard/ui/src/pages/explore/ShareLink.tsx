import { useState } from 'react'

/**
 * Copies the page's address, which holds the whole view. Where the browser refuses the
 * clipboard, the address is shown selected for the user to copy.
 */
export function ShareLink() {
  const [note, setNote] = useState('')
  const [manual, setManual] = useState<string | null>(null)
  const copy = async () => {
    const href = window.location.href
    try {
      await navigator.clipboard.writeText(href)
      setManual(null)
      setNote('Link copied')
    } catch {
      setManual(href)
      setNote('Copy the link below')
    }
  }
  return (
    <div className="share">
      <button type="button" onClick={copy}>
        Copy link
      </button>
      <span role="status" className="muted">
        {note}
      </span>
      {manual !== null && (
        <label>
          Link to this view
          <input readOnly value={manual} onFocus={(e) => e.target.select()} ref={(el) => el?.select()} />
        </label>
      )}
    </div>
  )
}
