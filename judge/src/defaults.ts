import type { AuditLog } from '@peregrine/common/audit'
import { type ConfigStore, ConflictError } from '@peregrine/common/nats'
import { type Strategy, StrategySpec } from '@peregrine/common/schema'

/**
 * Peregrine watching itself, as ordinary strategies (expressions over every endpoint) that users
 * see, change or delete through the API like their own. Installed once per version: a marker in
 * the config bucket records it, so a default a user deleted stays deleted.
 */
export const DEFAULTS_VERSION = 1
const MARKER = 'judge-defaults'

const spec = (s: Record<string, unknown>): Strategy =>
  ({
    ...StrategySpec.parse(s),
    node: null,
    id: `peregrine_${String(s.name).replace(/^peregrine-/, '')}`,
  }) as Strategy

/** Its no-data events are a host's heartbeat loss (kind `heartbeat`, one per host). */
export const HEARTBEAT_STRATEGY = 'peregrine_host-heartbeat'

export const DEFAULT_STRATEGIES: Strategy[] = [
  spec({
    name: 'peregrine-host-heartbeat',
    metric: 'agent.alive',
    fn: 'all',
    window: '#1',
    operator: '<',
    threshold: 1,
    nodata: '30s',
    priority: 1,
    note: "The host's agent stopped reporting: no agent.alive for 30 s, three of its default 10 s steps. Raise nodata for agents with a longer AGENT_STEP.",
  }),
  spec({
    name: 'peregrine-collector-insert-failures',
    metric: 'peregrine.collector.insert.failures.total',
    fn: 'all',
    window: '#3',
    operator: '>',
    threshold: 0,
    priority: 1,
    note: 'A collector keeps failing to write into ClickHouse: points wait in the metrics stream (nothing is lost until it fills). See docs/operations.md.',
  }),
  spec({
    name: 'peregrine-collector-lag',
    metric: 'peregrine.collector.lag.seconds',
    fn: 'all',
    window: '#3',
    operator: '>',
    threshold: 30,
    priority: 2,
    note: 'A collector stores points more than 30 s after agents sent them: it does not keep up, or storage is slow.',
  }),
  spec({
    name: 'peregrine-service-silent',
    metric: 'peregrine.process.cpu.seconds.total',
    fn: 'all',
    window: '#1',
    operator: '<',
    threshold: 0,
    nodata: '60s',
    priority: 1,
    note: 'A Peregrine service (collector, dashboard, judge) stopped reporting its own metrics for 60 s: it is down or cut off from NATS.',
  }),
]

/**
 * Creates the defaults that are missing, once per DEFAULTS_VERSION (several judges may race:
 * creation is compare-and-set, the loser finds them there). Returns the names created.
 */
export async function installDefaultStrategies(config: ConfigStore, audit: AuditLog): Promise<string[]> {
  const installed = await config.markers.get(MARKER)
  if (installed && installed.value.version >= DEFAULTS_VERSION) return []
  const created: string[] = []
  for (const s of DEFAULT_STRATEGIES) {
    try {
      await config.strategies.create(s.id, s)
    } catch (err) {
      if (err instanceof ConflictError) continue
      throw err
    }
    created.push(s.name)
    await audit.record({
      actor: 'peregrine',
      action: 'create',
      kind: 'strategy',
      id: s.id,
      before: null,
      after: s,
      paths: [''],
    })
  }
  if (installed)
    await config.markers
      .update(MARKER, { version: DEFAULTS_VERSION }, installed.revision)
      .catch(ignoreConflict)
  else await config.markers.create(MARKER, { version: DEFAULTS_VERSION }).catch(ignoreConflict)
  return created
}

const ignoreConflict = (err: unknown) => {
  if (!(err instanceof ConflictError)) throw err
}
