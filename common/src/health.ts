import type { NatsConnection } from 'nats'
import type { Store } from './clickhouse/client.ts'
import type { HealthCheck } from './ops.ts'
import { settlesWithin } from './timeout.ts'

/** How long NATS may take to answer a health probe; a frozen or unreachable server takes longer. */
export const NATS_PROBE_MS = 2000

/** What a process can report on: its NATS connection, its store, its collector's writes. */
export interface HealthParts {
  nc: NatsConnection
  store?: Store
  collector?: { health(): { ok: boolean; failingForMs: number } }
}

/**
 * Healthy when NATS answers a round trip within NATS_PROBE_MS (a connection that looks open can
 * sit on a frozen server for minutes before pings notice), ClickHouse answers, and the
 * collector's writes are not failing.
 */
export function serviceHealth(p: HealthParts): HealthCheck {
  return async () => {
    const [nats, clickhouse] = await Promise.all([
      !p.nc.isClosed() && answersWithin(p.nc.flush(), NATS_PROBE_MS),
      p.store
        ? p.store.client.ping().then(
            (r) => r.success,
            () => false,
          )
        : true,
    ])
    const inserts = p.collector?.health()
    return {
      ok: nats && clickhouse && (inserts?.ok ?? true),
      detail: {
        nats: nats ? 'ok' : `no answer within ${NATS_PROBE_MS} ms`,
        clickhouse: clickhouse ? 'ok' : 'failing',
        clickhouseMode: p.store?.kind,
        ...(inserts && {
          inserts: inserts.ok ? 'ok' : `failing for ${Math.round(inserts.failingForMs / 1000)} s`,
        }),
      },
    }
  }
}

/** Whether `p` succeeds within `ms`: a flush refused at once (NATS stopped) is no answer. */
async function answersWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ok = p.then(
    () => true,
    () => false,
  )
  return (await settlesWithin(ok, ms)) && (await ok)
}
