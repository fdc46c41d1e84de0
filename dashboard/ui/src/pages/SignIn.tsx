import { type FormEvent, useState } from 'react'
import { ApiError } from '../api.ts'
import { type Me, signIn } from '../session.tsx'

/** Sign-in with an API token (`pgt_…`): the admin token printed at first start, or one an admin made. */
export function SignIn({ onSignedIn }: { onSignedIn: (token: string, me: Me) => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    setBusy(true)
    setError('')
    try {
      const text = token.trim()
      onSignedIn(text, await signIn(text))
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'This token is not valid (unknown, revoked or mistyped).'
          : String((err as Error).message),
      )
    } finally {
      setBusy(false)
    }
  }
  return (
    <main className="signin card">
      <h1>Sign in to Peregrine</h1>
      <form className="stack" onSubmit={submit}>
        <label>
          API token
          <input
            type="password"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="pgt_…"
            required
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button className="primary" type="submit" disabled={busy || !token.trim()}>
          Sign in
        </button>
        <p className="muted">
          The token stays in this tab only and is sent with each request. The first admin token is printed
          when Peregrine starts for the first time; admins make more under Admin → Tokens.
        </p>
      </form>
    </main>
  )
}
