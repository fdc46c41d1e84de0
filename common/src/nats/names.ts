/** NATS names every service agrees on. */
export const METRICS_STREAM = 'PEREGRINE_METRICS'
export const METRICS_SUBJECT_PREFIX = 'peregrine.metrics'
export const COLLECTOR_CONSUMER = 'collector'
export const EVENTS_STREAM = 'PEREGRINE_EVENTS'
export const EVENTS_SUBJECT_PREFIX = 'peregrine.events'
export const NOTIFICATIONS_STREAM = 'PEREGRINE_NOTIFICATIONS'
export const NOTIFICATIONS_SUBJECT_PREFIX = 'peregrine.notifications'

/** Endpoint names may hold dots and wildcards, which are subject separators in NATS. */
export function subjectToken(name: string): string {
  const token = name.replace(/[.*>\s]/g, '_')
  return token === '' ? '_' : token
}

/**
 * Partitions of the metrics subjects: fixed, so every sender and every judge agrees on them
 * without coordination. Judges share partitions (a partition is evaluated by one judge at a
 * time), so this bounds how many judges can share the work.
 */
export const METRICS_PARTITIONS = 64

/** 32-bit FNV-1a of a string's UTF-16 code units: cheap, stable, well spread for short names. */
export function fnv1a32(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return h >>> 0
}

/** The partition of a sending host: FNV-1a of its subject token. */
export function metricsPartition(host: string): number {
  return fnv1a32(subjectToken(host)) % METRICS_PARTITIONS
}

/** `peregrine.metrics.<partition>.<host>`: where a host's batches go. */
export function metricsSubject(host: string): string {
  return `${METRICS_SUBJECT_PREFIX}.${metricsPartition(host)}.${subjectToken(host)}`
}

/** Where the judge of `partition` publishes its events. */
export function eventsSubject(partition: number): string {
  return `${EVENTS_SUBJECT_PREFIX}.${partition}`
}

/** Where the alarm records attempts on `channel`: a consumer may follow one channel. */
export function notificationsSubject(channel: string): string {
  return `${NOTIFICATIONS_SUBJECT_PREFIX}.${subjectToken(channel)}`
}

/** Every host's batches of one partition. */
export function partitionSubjects(partition: number): string {
  return `${METRICS_SUBJECT_PREFIX}.${partition}.>`
}
