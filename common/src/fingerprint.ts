import { createHash } from 'node:crypto'
import type { SeriesIdentity } from './points.ts'

/**
 * The 64-bit id of a series (endpoint + metric + canonical tags), as the decimal text of a
 * UInt64. Computed here only, so collector, API and judge always agree.
 */
export function fingerprint(s: SeriesIdentity): string {
  const digest = createHash('sha256').update(`${s.endpoint}\n${s.metric}\n${s.tags}`).digest()
  return digest.readBigUInt64BE(0).toString()
}
