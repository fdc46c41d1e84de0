import { type ConfigStore, type OutboundPolicy, outboundRefusal } from '@peregrine/common'
import { HttpError } from '../auth.ts'

/** A 400 about one body field that its schema alone cannot judge; answered like a schema's, with `field`. */
export class FieldError extends HttpError {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(400, `body.${field}: ${reason}`)
  }
}

/** Receivers are team names: one that names no team would leave an alert with nobody to tell. */
export async function requireTeams(config: ConfigStore, receivers: readonly string[]): Promise<void> {
  const missing: string[] = []
  for (const team of new Set(receivers)) if (!(await config.teams.get(team))) missing.push(team)
  if (missing.length) throw new FieldError('receivers', `no team named ${missing.join(', ')}`)
}

/** A URL Peregrine will call must not point inside (metadata service, loopback, private ranges). */
export function requireOutbound(policy: OutboundPolicy, field: string, url: string | undefined): void {
  const refused = url === undefined ? null : outboundRefusal(url, policy)
  if (refused) throw new FieldError(field, refused)
}
