/**
 * Everything at once, for the services that use most of it. A process that runs on every host
 * (the agent) imports the subpath entries it needs instead (package.json `exports`), so it never
 * loads ClickHouse's engine or fastify.
 */
export * from './ack-link.ts'
export * from './audit.ts'
export * from './clickhouse/index.ts'
export * from './config.ts'
export * from './exposition.ts'
export * from './fingerprint.ts'
export * from './health.ts'
export * from './judge/index.ts'
export * from './lifecycle.ts'
export * from './log.ts'
export * from './nats/index.ts'
export * from './ops.ts'
export * from './outbound.ts'
export * from './process.ts'
export * from './schema.ts'
export * from './selfmetrics.ts'
export * from './timeout.ts'
export * from './turns.ts'
