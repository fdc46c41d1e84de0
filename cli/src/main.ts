#!/usr/bin/env node
import { loadAgentConfig } from '@peregrine/agent'
import { runAgent } from '@peregrine/agent/run'
import { loadAlarmConfig } from '@peregrine/alarm'
import { loadCollectorConfig } from '@peregrine/collector'
import { describeSettings, natsAuthMethod } from '@peregrine/common'
import { loadDashboardConfig } from '@peregrine/dashboard'
import { loadJudgeConfig } from '@peregrine/judge'
import { Command } from 'commander'
import { z } from 'zod'
import { registerCodeCommands } from './code/commands.ts'
import { loadAllInOneConfig, settingsBySection } from './config.ts'
import { registerNatsCommands } from './nats.ts'
import { runAlarm, runAllInOne, runCollector, runDashboard, runJudge } from './run.ts'
import { registerTokenCommands } from './token.ts'

const program = new Command('peregrine').description('Peregrine monitoring').showHelpAfterError()

program
  .command('all', { isDefault: true })
  .description(
    'run everything in one process: nats-server, collector, judge, dashboard and an agent for this host',
  )
  .action(() => runAllInOne(loadAllInOneConfig()))

const services = {
  agent: () => runAgent(loadAgentConfig()),
  collector: () => runCollector(loadCollectorConfig()),
  dashboard: () => runDashboard(loadDashboardConfig()),
  judge: () => runJudge(loadJudgeConfig()),
  alarm: () => runAlarm(loadAlarmConfig()),
}
for (const [name, run] of Object.entries(services)) {
  program
    .command(name)
    .description(`run the ${name} alone (distributed mode: NATS_URL, CLICKHOUSE_URL)`)
    .action(run)
}

program
  .command('check-config')
  .description('validate the configuration from env and PEREGRINE_CONFIG, print it (secrets hidden) and exit')
  .action(() => {
    const c = loadAllInOneConfig()
    for (const section of [c.agent, c.collector, c.judge, c.alarm, c.dashboard]) natsAuthMethod(section)
    const hide = (k: string, v: unknown) => (/url|token|password/i.test(k) && v ? '[set]' : v)
    console.log(JSON.stringify(c, hide, 2))
  })

program
  .command('config-docs')
  .description('print every setting as Markdown tables')
  .action(() => {
    for (const [section, def] of Object.entries(settingsBySection))
      console.log(`### ${section}\n\n${describeSettings(def)}\n`)
  })

// Strategies as code: apply, diff, export (docs/strategies-as-code.md).
registerCodeCommands(program)
registerTokenCommands(program)
// Credentials and permissions for a distributed deployment's nats-server (docs/security.md).
registerNatsCommands(program)

// A user gets the message; a developer chasing a bug sets LOG_LEVEL=debug for the stack.
program.parseAsync().catch((err: Error) => {
  const debug = /^(debug|trace)$/.test(process.env.LOG_LEVEL ?? '')
  if (err instanceof z.ZodError) console.error(z.prettifyError(err))
  else console.error(debug || !(err instanceof Error) ? err : err.message)
  process.exit(1)
})
