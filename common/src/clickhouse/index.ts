/** ClickHouse: the store (server or embedded chdb, which loads a native engine), SQL, migrations. */
export * from './client.ts'
export * from './decimal.ts'
export * from './errors.ts'
export * from './migrations.ts'
export * from './rollups.ts'
export * from './sql.ts'
