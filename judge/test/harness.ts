// What the judge's suites against a real nats-server share: the server with the metrics and
// events streams and the config store, judges on connections of their own (stopped after the
// suite), and strategies created as an operator would.
import {
  ConfigStore,
  createLogger,
  createRegistry,
  ensureEventsStream,
  ensureMetricsStream,
  type Strategy,
  StrategySpec,
} from '@peregrine/common'
import { startTestNats, type TestNats } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll } from 'vitest'
import { type Judge, loadJudgeConfig, startJudge } from '../src/index.ts'

export const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
export let nats: TestNats
/** The suite's own connection (a service credential). */
export let nc: NatsConnection
export let config: ConfigStore
const judges: { judge: Judge; nc: NatsConnection }[] = []

/** Starts the server before the suite and stops every judge and the server after it. */
export function useJudgeNats(): void {
  beforeAll(async () => {
    nats = await startTestNats()
    nc = await connect(nats.connectOptions('service'))
    await ensureMetricsStream(await nc.jetstreamManager())
    await ensureEventsStream(await nc.jetstreamManager())
    config = await ConfigStore.open(nc)
  })
  afterAll(async () => {
    for (const j of judges) await j.judge.stop().catch(() => undefined)
    for (const j of judges) await j.nc.close().catch(() => undefined)
    await nc?.close()
    await nats?.dispose()
  })
}

/** A judge named `instance` with short leases (and `settings` besides), on a connection of its own. */
export async function startOne(
  instance: string,
  settings: Record<string, string> = {},
): Promise<{ judge: Judge; nc: NatsConnection }> {
  const own = await connect({ ...nats.connectOptions('service'), reconnect: false })
  const c = loadJudgeConfig({
    JUDGE_INSTANCE: instance,
    JUDGE_LEASE_MS: '2000',
    JUDGE_RENEW_MS: '250',
    ...settings,
  })
  const judge = await startJudge(c, { nc: own, log, registry: createRegistry() })
  const j = { judge, nc: own }
  judges.push(j)
  return j
}

export async function addStrategy(fields: Record<string, unknown>): Promise<Strategy> {
  const s = { ...StrategySpec.parse(fields), id: `s_${fields.name}`, node: null } as Strategy
  await config.strategies.create(s.id, s)
  return s
}
