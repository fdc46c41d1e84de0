import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { NatsClientConfig } from '@peregrine/common'
import type { Shape } from './data.ts'

export interface Fleet {
  /** The load generator's process, for readings in /proc. */
  pid: number
  /** Bytes of every batch encoded, as they go on the wire. */
  bytes: number
  /** Starts publishing; `done` then resolves with the seconds from here until all was acknowledged. */
  go(): void
  done: Promise<number>
}

/**
 * Starts the load generator (`bench/publisher.ts`, its own process, like a fleet of agents) and
 * resolves once it has encoded every batch of `shape`, so that the timed part spends no CPU on
 * building data the agents would build on their hosts.
 */
export async function startFleet(natsClient: NatsClientConfig, shape: Shape): Promise<Fleet> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'publisher.ts'), JSON.stringify({ natsClient, shape })],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const ready = JSON.parse((await lines.next()).value as string) as { bytes: number }
  let t0 = 0
  return {
    pid: child.pid!,
    bytes: ready.bytes,
    go: () => {
      t0 = performance.now()
      // Closed, not just written: an open stdin kept the finished publisher, and so this process, alive.
      child.stdin.end('go\n')
    },
    done: lines.next().then(() => (performance.now() - t0) / 1000),
  }
}
