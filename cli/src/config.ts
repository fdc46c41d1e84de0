import { agentSettings, loadAgentConfig } from '@peregrine/agent'
import { collectorSettings, loadCollectorConfig } from '@peregrine/collector'
import { loadConfig, num, setting } from '@peregrine/common'
import { dashboardSettings, loadDashboardConfig } from '@peregrine/dashboard'
import { judgeSettings, loadJudgeConfig } from '@peregrine/judge'

export const allInOneSettings = {
  natsPort: setting(
    'ALLINONE_NATS_PORT',
    num(4222),
    'Port of the nats-server the all-in-one starts (0: any free port).',
  ),
}

export function loadAllInOneConfig(env = process.env) {
  const collector = loadCollectorConfig(env)
  const agent = loadAgentConfig(env)
  // One process, one storage: its agent takes what storage keeps unless told otherwise.
  if (env.AGENT_MAX_POINT_AGE_DAYS === undefined)
    agent.maxPointAgeDays = Math.max(
      collector.retentionDays,
      collector.retention1mDays,
      collector.retention1hDays,
    )
  return {
    agent,
    collector,
    judge: loadJudgeConfig(env),
    dashboard: loadDashboardConfig(env),
    ...loadConfig(allInOneSettings, 'allinone', env),
  }
}
export type AllInOneConfig = ReturnType<typeof loadAllInOneConfig>

export const settingsBySection = {
  allinone: allInOneSettings,
  agent: agentSettings,
  collector: collectorSettings,
  judge: judgeSettings,
  dashboard: dashboardSettings,
}
