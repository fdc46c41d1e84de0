/** Another attempt cannot succeed (a refused address, a 4xx, a rejected recipient): dead at once. */
export class PermanentSendError extends Error {
  override name = 'PermanentSendError'
}

/** The receiver may take it later (a 5xx, a timeout, a connection error, a vendor's rate limit). */
export class TransientSendError extends Error {
  override name = 'TransientSendError'

  constructor(
    message: string,
    /** How long the receiver asked to be left alone (Retry-After), when it said. */
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
  }
}

/** The message text an attempt's record keeps. */
export function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}
