/**
 * The pure part of common: point rules, the batch wire format, rates and the configuration
 * model's zod schemas. It imports zod and nothing else (no Node built-in, no NATS), so a browser
 * bundle and the lean agent can both take it; encodeBatch/decodeBatch use Node's Buffer when called
 * (the v2 wire format needs only what browsers have too).
 */
export * from './api/config.ts'
export * from './api/deploy-gate.ts'
export * from './api/evaluate.ts'
export * from './api/events.ts'
export * from './api/monitor.ts'
export * from './api/notifications.ts'
export * from './api/screens.ts'
export * from './api/silences.ts'
export * from './batch.ts'
export * from './batch-resolver.ts'
export * from './model/access.ts'
export * from './model/ack.ts'
export * from './model/agent-checks.ts'
export * from './model/alarm.ts'
export * from './model/alarm-rules.ts'
export * from './model/event.ts'
export * from './model/notification.ts'
export * from './model/resolve.ts'
export * from './model/screen.ts'
export * from './model/screen-limits.ts'
export * from './model/strategy.ts'
export * from './model/tree.ts'
export * from './points.ts'
export * from './rates.ts'
export * from './series-dictionary.ts'
export * from './wire.ts'
export * from './wire-sender.ts'
