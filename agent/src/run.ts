import { stopOnSignals } from '@peregrine/common/lifecycle'
import { createLogger } from '@peregrine/common/log'
import { createRegistry } from '@peregrine/common/metrics'
import { agentInboxPrefix, connectNats } from '@peregrine/common/nats'
import type { AgentConfig } from './config.ts'
import { startAgent } from './index.ts'

/**
 * The agent as its own process. No process metrics registry: prom-client's default collectors
 * sample the event loop 100 times a second, which alone would cost more CPU than the agent's
 * work; the agent reports its memory and CPU in its own batches instead (agent.process.rss.bytes, agent.process.cpu.seconds).
 */
export async function runAgent(c: AgentConfig): Promise<void> {
  const log = createLogger('agent', c.logLevel)
  const parts: { stop(): Promise<void> | void }[] = []
  stopOnSignals(log, parts)
  const nc = await connectNats(c, 'peregrine-agent', log, { inboxPrefix: agentInboxPrefix(c.hostname) })
  parts.push({ stop: () => nc.drain() })
  parts.push(await startAgent(c, { nc, log, registry: createRegistry() }))
}
