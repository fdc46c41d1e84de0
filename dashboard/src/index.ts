import {
  AuditLog,
  ConfigStore,
  type HealthCheck,
  type Logger,
  type Registry,
  type Store,
} from '@peregrine/common'
import type { NatsConnection } from 'nats'
import { startAgentChecksSync } from './agent-checks-sync.ts'
import { Authenticator, ensureAdminToken } from './auth.ts'
import type { DashboardConfig } from './config.ts'
import { buildServer } from './server.ts'

export { type AgentChecksSync, startAgentChecksSync } from './agent-checks-sync.ts'
export { queryAudit } from './audit-queries.ts'
export { Authenticator, ensureAdminToken } from './auth.ts'
export { type DashboardConfig, dashboardSettings, loadDashboardConfig } from './config.ts'
export { buildServer } from './server.ts'

export interface DashboardDeps {
  nc: NatsConnection
  store: Store
  log: Logger
  /** Every registry of this process: /metrics shows them all. */
  registries: Registry[]
  health: HealthCheck
}

export interface Dashboard {
  url: string
  stop(): Promise<void>
}

export async function startDashboard(config: DashboardConfig, deps: DashboardDeps): Promise<Dashboard> {
  const configStore = await ConfigStore.open(deps.nc)
  const configApi = {
    config: configStore,
    audit: await AuditLog.open(deps.nc),
    auth: new Authenticator(configStore),
    store: deps.store,
  }
  const admin = await ensureAdminToken(configStore, config.adminToken)
  // Printed, not logged: logs are shipped and kept, the token must not be.
  if (admin && !config.adminToken)
    process.stdout.write(`\nPeregrine admin token (shown once, store it now): ${admin}\n\n`)
  const app = await buildServer({
    ...deps,
    retention: { rawDays: config.retentionDays, rollup1mDays: config.retention1mDays },
    configApi,
  })
  const url = await app.listen({ host: config.host, port: config.port })
  deps.log.info({ url }, 'dashboard listening')
  const checksSync = await startAgentChecksSync(configStore, deps.log, { nc: deps.nc })
  return {
    url,
    async stop() {
      await app.close()
      await checksSync.stop()
    },
  }
}
