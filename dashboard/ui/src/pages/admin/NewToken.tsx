import { useRef, useState } from 'react'
import type { TokenCreated } from './admin-types.ts'

/**
 * A created token's text, shown this once: only its hash is kept, so closing this loses it for
 * good. Copying falls back to a selected field where the browser refuses the clipboard.
 */
export function NewToken({ token, onDone }: { token: TokenCreated; onDone(): void }) {
  const field = useRef<HTMLInputElement>(null)
  const [copied, setCopied] = useState('')
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(token.token)
      setCopied('Copied.')
    } catch {
      field.current?.select()
      setCopied('Selected: press Ctrl+C (⌘C) to copy.')
    }
  }
  return (
    <section className="card stack new-token" aria-label="New token">
      <h2>
        Token {token.name} ({token.role}, {token.scope || 'whole tree'})
      </h2>
      <p role="alert" className="warn">
        <strong>Copy it now: it will not be shown again.</strong> Peregrine keeps only a hash of it; a lost
        token is revoked and replaced.
      </p>
      <div className="row">
        <label className="token-text">
          Token text
          <input ref={field} readOnly value={token.token} onFocus={(e) => e.target.select()} />
        </label>
        <button type="button" onClick={copy}>
          Copy
        </button>
        <span aria-live="polite">{copied}</span>
      </div>
      <div>
        <button type="button" className="primary" onClick={onDone}>
          Done, I have copied it
        </button>
      </div>
    </section>
  )
}
