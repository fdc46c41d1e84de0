import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { allInOneNatsDir, allInOneServiceKey } from '@peregrine/common'
import { startTestNats, type TestNats, waitFor } from '@peregrine/common/testing'
import { type ConnectionOptions, nkeyAuthenticator } from 'nats'
import { freePort } from '../../cli/test/allinone.ts'
import { httpOk, killByPidFile, removeAtExit, type Service, startService, stopService } from './system.ts'

/** What a case needs of a running Peregrine, whichever way it is deployed. */
export interface Stack {
  /** Base URL of the agent the load pushes to. */
  agentUrl: string
  /** /healthz of every process that must be healthy. */
  health: string[]
  /** /metrics of the process that runs the collector. */
  metrics: string
  /** The embedded ClickHouse folder the collector writes. */
  clickhouseDir: string
  /** How the benchmark connects to this NATS with the service credential. */
  natsOptions(): Promise<ConnectionOptions>
  /** Stops the Peregrine processes cleanly (they flush and acknowledge what they hold). */
  stop(): Promise<void>
  /** Stops whatever else the stack started. */
  dispose(): Promise<void>
}

export async function waitHealthy(stack: Stack, timeoutMs = 90_000): Promise<void> {
  await waitFor(
    async () => (await Promise.all(stack.health.map(httpOk))).every(Boolean),
    timeoutMs,
    `health of ${stack.health.join(', ')}`,
  )
}

/**
 * Distributed mode on loopback: a nats-server with the all-in-one's authorization, and a
 * `peregrine collector` and a `peregrine agent` as separate processes, each with its credential.
 * The collector uses the embedded engine in its own data folder (no ClickHouse server here).
 */
export class Distributed implements Stack {
  collector!: Service
  agent!: Service
  readonly clickhouseDir: string

  private constructor(
    readonly dir: string,
    readonly nats: TestNats,
    private readonly ports: { ops: number; agent: number },
  ) {
    this.clickhouseDir = join(this.collectorData, 'clickhouse')
  }

  /** `dir/collector` and `dir/agent` must exist (a case may mount a small volume there first). */
  static async start(dir: string): Promise<Distributed> {
    const nats = await startTestNats({ agentHost: 'fault-agent' })
    removeAtExit(nats.dataDir)
    const stack = new Distributed(dir, nats, { ops: await freePort(), agent: await freePort() })
    stack.startCollector()
    stack.startAgent()
    return stack
  }

  get collectorData(): string {
    return join(this.dir, 'collector')
  }

  get agentUrl(): string {
    return `http://127.0.0.1:${this.ports.agent}`
  }

  get health(): string[] {
    return [`http://127.0.0.1:${this.ports.ops}/healthz`, `${this.agentUrl}/healthz`]
  }

  get metrics(): string {
    return `http://127.0.0.1:${this.ports.ops}/metrics`
  }

  startCollector(): void {
    this.collector = startService(
      'collector',
      {
        ...this.nats.env('service'),
        PEREGRINE_DATA: this.collectorData,
        COLLECTOR_OPS_PORT: String(this.ports.ops),
      },
      join(this.dir, 'collector.log'),
    )
  }

  startAgent(): void {
    this.agent = startService(
      'agent',
      {
        ...this.nats.env('agent'),
        PEREGRINE_DATA: join(this.dir, 'agent'),
        AGENT_HOSTNAME: this.nats.agentHost,
        AGENT_HTTP_PORT: String(this.ports.agent),
      },
      join(this.dir, 'agent.log'),
    )
  }

  async natsOptions(): Promise<ConnectionOptions> {
    return this.nats.connectOptions('service')
  }

  async stop(): Promise<void> {
    await stopService(this.agent)
    await stopService(this.collector)
  }

  async dispose(): Promise<void> {
    await this.nats.dispose()
  }
}

/** `peregrine all` on its own data folder and free ports, restartable on both. */
export class AllInOne implements Stack {
  process!: Service
  readonly clickhouseDir: string

  private constructor(
    readonly dir: string,
    private readonly ports: { nats: number; dashboard: number; agent: number },
  ) {
    this.clickhouseDir = join(dir, 'clickhouse')
  }

  static async start(dir: string): Promise<AllInOne> {
    await mkdir(dir, { recursive: true })
    const ports = { nats: await freePort(), dashboard: await freePort(), agent: await freePort() }
    const stack = new AllInOne(dir, ports)
    stack.restart()
    return stack
  }

  restart(): void {
    this.process = startService(
      'all',
      {
        PEREGRINE_DATA: this.dir,
        ALLINONE_NATS_PORT: String(this.ports.nats),
        DASHBOARD_PORT: String(this.ports.dashboard),
        AGENT_HTTP_PORT: String(this.ports.agent),
        AGENT_HOSTNAME: 'fault-allinone',
      },
      join(this.dir, 'all.log'),
    )
  }

  get natsPidFile(): string {
    return join(allInOneNatsDir(this.dir), 'nats-server.pid')
  }

  get agentUrl(): string {
    return `http://127.0.0.1:${this.ports.agent}`
  }

  get health(): string[] {
    return [`http://127.0.0.1:${this.ports.dashboard}/healthz`, `${this.agentUrl}/healthz`]
  }

  get metrics(): string {
    return `http://127.0.0.1:${this.ports.dashboard}/metrics`
  }

  async natsOptions(): Promise<ConnectionOptions> {
    const seed = await readFile(allInOneServiceKey(this.dir), 'utf8')
    return {
      servers: `nats://127.0.0.1:${this.ports.nats}`,
      authenticator: nkeyAuthenticator(new TextEncoder().encode(seed.trim())),
    }
  }

  async stop(): Promise<void> {
    await stopService(this.process)
  }

  /** Its nats-server should have stopped with it; one that did not is killed here. */
  async dispose(): Promise<void> {
    killByPidFile(this.natsPidFile)
  }
}
