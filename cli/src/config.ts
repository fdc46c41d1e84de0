import { agentSettings, loadAgentConfig } from '@peregrine/agent'
import { alarmSettings, loadAlarmConfig } from '@peregrine/alarm'
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
  const dashboard = loadDashboardConfig(env)
  const alarm = loadAlarmConfig(env)
  // The links in messages lead to this process's API unless told where people reach it.
  if (env.ALARM_DASHBOARD_URL === undefined) alarm.dashboardUrl = `http://${dashboard.host}:${dashboard.port}`
  return {
    agent,
    collector,
    judge: loadJudgeConfig(env),
    alarm,
    dashboard,
    ...loadConfig(allInOneSettings, 'allinone', env),
  }
}
export type AllInOneConfig = ReturnType<typeof loadAllInOneConfig>

export const settingsBySection = {
  allinone: allInOneSettings,
  agent: agentSettings,
  collector: collectorSettings,
  judge: judgeSettings,
  alarm: alarmSettings,
  dashboard: dashboardSettings,
}
