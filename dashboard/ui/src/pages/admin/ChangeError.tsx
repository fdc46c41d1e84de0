import { ApiError } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'

/**
 * A failed change as the user should read it. A 409 means someone else changed the record since
 * this page read it: say so plainly, and what to do, rather than a bare "Conflict".
 */
export function ChangeError({ error }: { error: unknown }) {
  if (error instanceof ApiError && error.status === 409)
    return (
      <p role="alert" className="error">
        Changed by someone else meanwhile ({error.message}): nothing was changed. The list now shows the
        current version; check it and try again.
      </p>
    )
  return <ErrorNote error={error} />
}
