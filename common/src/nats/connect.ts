import { connect, type NatsConnection } from 'nats'
import type { Logger } from '../log.ts'

/**
 * A connection that retries for ever (services outlive NATS restarts) and logs its state
 * changes. `waitOnFirstConnect` lets a service start before NATS is up.
 */
export async function connectNats(url: string, name: string, log: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  })
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'pingTimer') continue
      log.info({ nats: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'nats status')
    }
  })()
  return nc
}
