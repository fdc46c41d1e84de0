import type { HealthCheck, Logger, Registry, Store } from '@peregrine/common'
import type { DashboardConfig } from './config.ts'
import { buildServer } from './server.ts'

export { type DashboardConfig, dashboardSettings, loadDashboardConfig } from './config.ts'
export { buildServer } from './server.ts'

export interface DashboardDeps {
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
  const app = await buildServer({
    ...deps,
    retention: { rawDays: config.retentionDays, rollup1mDays: config.retention1mDays },
  })
  const url = await app.listen({ host: config.host, port: config.port })
  deps.log.info({ url }, 'dashboard listening')
  return { url, stop: () => app.close() }
}
