import {
  type ConfigOf,
  commonSettings,
  instanceName,
  instanceSetting,
  loadConfig,
  opsSettings,
  posNum,
  setting,
} from '@peregrine/common/config'
import { TimeZone } from '@peregrine/common/schema'

export const judgeSettings = {
  ...commonSettings,
  instance: instanceSetting('JUDGE_INSTANCE', 'judge'),
  leaseMs: setting(
    'JUDGE_LEASE_MS',
    posNum(5000),
    "How long a dead judge's partitions stay with it before the others take them over.",
  ),
  renewMs: setting('JUDGE_RENEW_MS', posNum(1000), 'Between renewals of the partition leases.'),
  replaySeconds: setting(
    'JUDGE_REPLAY_SECONDS',
    posNum(3600),
    'On taking a partition over, how far back the metrics stream is read to fill the windows (at most; strategies needing more see what there is).',
  ),
  readBufferBytes: setting(
    'JUDGE_READ_BUFFER_BYTES',
    posNum(32 * 1024 * 1024),
    "Metrics bytes the judge asks NATS for at once, over all its partitions: what a backlog can hold in its memory. Keep it well below nats-server's max_pending (64 MiB by default), or a busy judge is dropped as a slow consumer.",
  ),
  nodataCheckMs: setting(
    'JUDGE_NODATA_CHECK_MS',
    posNum(1000),
    'Between checks for series without data (nodata) in each partition.',
  ),
  timeZone: setting(
    'JUDGE_TIME_ZONE',
    TimeZone.default('UTC'),
    "IANA time zone in which strategies' active windows are read.",
  ),
  ...opsSettings('JUDGE', 8093),
}
export type JudgeConfig = ConfigOf<typeof judgeSettings>

export function loadJudgeConfig(env = process.env): JudgeConfig {
  const c = loadConfig(judgeSettings, 'judge', env)
  return { ...c, instance: instanceName(c.instance) }
}
