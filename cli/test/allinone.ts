import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { waitFor } from '@peregrine/common/testing'

const root = join(import.meta.dirname, '..', '..')

export interface AllInOne {
  child: ChildProcess
  /** Its JSON log lines as parsed; other stdout lines as `{ msg: line }`. */
  logs: Record<string, unknown>[]
  /** Waits for the log line whose msg is `msg`. */
  logged(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>
  /** What it wrote to stderr so far (also passed on to this process's). */
  stderr(): string
}

/** `peregrine all` as a real child process on the data folder `data`, every port free unless `env` names one. */
export function startAllInOne(data: string, env: NodeJS.ProcessEnv = {}): AllInOne {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'all'], {
    cwd: root,
    env: {
      ...process.env,
      PEREGRINE_DATA: data,
      ALLINONE_NATS_PORT: '0',
      DASHBOARD_PORT: '0',
      AGENT_HTTP_PORT: '0',
      AGENT_STEP: '1',
      AGENT_HOSTNAME: 'e2e-host',
      COLLECTOR_BATCH_WAIT_MS: '200',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: Record<string, unknown>[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      logs.push(JSON.parse(line))
    } catch {
      logs.push({ msg: line })
    }
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d
    process.stderr.write(d)
  })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  return {
    child,
    logs,
    exited,
    stderr: () => stderr,
    logged: (msg, timeoutMs = 60_000) =>
      waitFor(() => logs.find((l) => l.msg === msg), timeoutMs, `log "${msg}"`),
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}
