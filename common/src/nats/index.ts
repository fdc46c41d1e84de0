/** NATS: connecting, names, streams, KV buckets and the configuration store kept in them. */
export * from '../model/store.ts'
export * from './auth.ts'
export * from './connect.ts'
export * from './kv.ts'
export * from './names.ts'
export * from './server.ts'
export * from './space.ts'
export * from './streams.ts'
