import { type HealthCheck, type Logger, OutboundPolicy, type Registry, type Store } from '@peregrine/common'
import type { NatsConnection } from 'nats'
import { startAgentChecksSync } from './agent-checks-sync.ts'
import { ensureAdminToken } from './auth.ts'
import { openConfigApi } from './config/context.ts'
import type { DashboardConfig } from './config.ts'
import { buildServer } from './server.ts'

export { type AgentChecksSync, startAgentChecksSync } from './agent-checks-sync.ts'
export { queryAudit } from './audit-queries.ts'
export { ensureAdminToken, issueToken } from './auth.ts'
export { openConfigApi } from './config/context.ts'
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
  const configApi = await openConfigApi(deps.nc, deps.store, new OutboundPolicy(config.outboundAllowNets))
  const admin = await ensureAdminToken(configApi.config, config.adminToken)
  // Printed, not logged: logs are shipped and kept, the token must not be.
  if (admin && !config.adminToken)
    process.stdout.write(`\nPeregrine admin token (shown once, store it now): ${admin}\n\n`)
  const app = await buildServer({
    ...deps,
    retention: { rawDays: config.retentionDays, rollup1mDays: config.retention1mDays },
    configApi,
    uiDir: config.uiDir,
  })
  const url = await app.listen({ host: config.host, port: config.port })
  deps.log.info({ url }, 'dashboard listening')
  const checksSync = await startAgentChecksSync(configApi.config, deps.log, { nc: deps.nc })
  return {
    url,
    async stop() {
      await app.close()
      await checksSync.stop()
    },
  }
}
