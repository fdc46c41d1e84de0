/**
 * Whether a host reports: up when seen within three minutes (the agent reports every minute at
 * most, so two missed reports), stale within a day, down beyond or never.
 */
export type HostStatus = 'up' | 'stale' | 'down'

export function hostStatus(lastSeen: number | undefined, nowSeconds: number): HostStatus {
  if (lastSeen === undefined) return 'down'
  const age = nowSeconds - lastSeen
  if (age <= 180) return 'up'
  return age <= 86_400 ? 'stale' : 'down'
}

/** `12 s ago`, `5 min ago`, `3 h ago`, `2 d ago`, or `never`. */
export function ago(seconds: number | undefined, nowSeconds: number): string {
  if (seconds === undefined) return 'never'
  const d = Math.max(0, nowSeconds - seconds)
  if (d < 60) return `${Math.round(d)} s ago`
  if (d < 3600) return `${Math.floor(d / 60)} min ago`
  if (d < 86_400) return `${Math.floor(d / 3600)} h ago`
  return `${Math.floor(d / 86_400)} d ago`
}
