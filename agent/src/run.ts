import { stopOnSignals } from '@peregrine/common/lifecycle'
import { createLogger } from '@peregrine/common/log'
import { agentInboxPrefix, connectNatsLater } from '@peregrine/common/nats'
import type { AgentConfig } from './config.ts'
import { startAgent } from './index.ts'

/**
 * The agent as its own process. No prom-client: its default collectors sample the event loop 100
 * times a second, which alone would cost more CPU than the agent's work, and the library costs
 * megabytes of memory on every host. The agent serves its few metrics itself (agent/src/metrics.ts)
 * and reports its memory and CPU in its own batches (agent.process.rss.bytes, agent.process.cpu.seconds).
 */
export async function runAgent(c: AgentConfig): Promise<void> {
  const log = createLogger('agent', c.logLevel)
  const parts: { stop(): Promise<void> | void }[] = []
  stopOnSignals(log, parts)
  // Not waited for: the agent starts while NATS is unreachable and works from its spool meanwhile.
  const nats = await connectNatsLater(c, 'peregrine-agent', log, {
    inboxPrefix: agentInboxPrefix(c.hostname),
  })
  parts.push(nats)
  parts.push(await startAgent(c, { nats, log }))
}
