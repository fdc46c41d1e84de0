import { agentSettings, loadAgentConfig } from '@peregrine/agent'
import { collectorSettings, loadCollectorConfig } from '@peregrine/collector'
import { loadConfig, num, setting } from '@peregrine/common'
import { dashboardSettings, loadDashboardConfig } from '@peregrine/dashboard'

export const allInOneSettings = {
  natsPort: setting(
    'ALLINONE_NATS_PORT',
    num(4222),
    'Port of the nats-server the all-in-one starts (0: any free port).',
  ),
}

export function loadAllInOneConfig(env = process.env) {
  return {
    agent: loadAgentConfig(env),
    collector: loadCollectorConfig(env),
    dashboard: loadDashboardConfig(env),
    ...loadConfig(allInOneSettings, 'allinone', env),
  }
}
export type AllInOneConfig = ReturnType<typeof loadAllInOneConfig>

export const settingsBySection = {
  allinone: allInOneSettings,
  agent: agentSettings,
  collector: collectorSettings,
  dashboard: dashboardSettings,
}
