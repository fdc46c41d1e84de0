/** The audit log: its record schema, the stream it is published on, and the audit API's shapes. */
export * from './api/audit.ts'
export * from './model/audit.ts'
