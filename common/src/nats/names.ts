/** NATS names every service agrees on. */
export const METRICS_STREAM = 'PEREGRINE_METRICS'
export const METRICS_SUBJECT_PREFIX = 'peregrine.metrics'
export const COLLECTOR_CONSUMER = 'collector'

/** Endpoint names may hold dots and wildcards, which are subject separators in NATS. */
export function subjectToken(name: string): string {
  const token = name.replace(/[.*>\s]/g, '_')
  return token === '' ? '_' : token
}

export function metricsSubject(host: string): string {
  return `${METRICS_SUBJECT_PREFIX}.${subjectToken(host)}`
}
