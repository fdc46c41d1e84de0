import { hostname } from 'node:os'
import {
  type ConfigOf,
  commonSettings,
  loadConfig,
  num,
  posNum,
  setting,
  text,
} from '@peregrine/common/config'
import { DEFAULT_MAX_POINT_AGE_DAYS } from '@peregrine/common/schema'
import * as z from '@peregrine/common/zod'

export const agentSettings = {
  ...commonSettings,
  hostname: setting(
    'AGENT_HOSTNAME',
    z._default(z.string().check(z.minLength(1)), hostname()),
    'Endpoint name of this host.',
  ),
  step: setting('AGENT_STEP', posNum(10), 'Seconds between collections.'),
  httpHost: setting('AGENT_HTTP_HOST', text('127.0.0.1'), 'Listen address of /v1/push, /healthz, /metrics.'),
  httpPort: setting(
    'AGENT_HTTP_PORT',
    num(1988),
    'Listen port of /v1/push (Open-Falcon compatible), /healthz, /metrics.',
  ),
  maxPendingPush: setting(
    'AGENT_PUSH_MAX_PENDING',
    posNum(100_000),
    'Pushed points held at most; beyond, pushes get 503.',
  ),
  spoolDir: setting(
    'AGENT_SPOOL_DIR',
    text(''),
    'Where batches wait while NATS is unreachable; empty: <PEREGRINE_DATA>/agent-spool.',
  ),
  spoolMaxBytes: setting(
    'AGENT_SPOOL_MAX_BYTES',
    posNum(256 * 1024 * 1024),
    'Spool size limit; oldest batches are dropped first.',
  ),
  maxPointAgeDays: setting(
    'AGENT_MAX_POINT_AGE_DAYS',
    posNum(DEFAULT_MAX_POINT_AGE_DAYS),
    'Oldest point a push may carry, in days; older ones are refused (400). Storage keeps nothing older than its longest retention (RETENTION_1H_DAYS): keep the two equal.',
  ),
  procPath: setting('AGENT_PROC', text('/proc'), 'Mount point of procfs.'),
  sysPath: setting('AGENT_SYS', text('/sys'), 'Mount point of sysfs.'),
}
export type AgentConfig = ConfigOf<typeof agentSettings>

export const loadAgentConfig = (env = process.env) => loadConfig(agentSettings, 'agent', env)
