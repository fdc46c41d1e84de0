import { ApiError } from './api.ts'

/** An API failure as the user should read it: what was refused and, on a 400, which field. */
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null
  const text =
    error instanceof ApiError
      ? `${error.status === 403 ? 'Not allowed: ' : ''}${error.message}`
      : error instanceof Error
        ? error.message
        : String(error)
  return (
    <p role="alert" className="error">
      {text}
    </p>
  )
}
