import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureMetricsStream, METRICS_STREAM, MetricBatchReader, openConfigBuckets } from '@peregrine/common'
import { startTestNats, type TempDir, type TestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AGENT_NODE_FLAGS } from '../src/node-flags.ts'

/** The agent as hosts run it: the bundle `npm run build -w @peregrine/agent` makes, on plain node with its flags. */
const agentDir = fileURLToPath(new URL('..', import.meta.url))
const BUNDLE = join(agentDir, 'dist/peregrine-agent.mjs')
const HOST = 'process-test'

let nats: TestNats
let nc: NatsConnection
let dir: TempDir
let child: ChildProcess | undefined

/** Starts the agent process and resolves with its push port once it logs that it started. */
async function startAgentProcess(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [...AGENT_NODE_FLAGS, BUNDLE], {
    env: {
      PATH: process.env.PATH,
      ...nats.env('agent'),
      AGENT_HOSTNAME: HOST,
      AGENT_HTTP_PORT: '0',
      AGENT_STEP: '60',
      AGENT_SPOOL_DIR: join(dir.path, 'spool'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  child = proc
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`agent exited with ${code}`)))
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg: string; port?: number }
      if (entry.msg === 'agent started' && entry.port) resolve(entry.port)
    })
  })
  return { proc, port }
}

async function kill9(proc: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => proc.once('exit', resolve))
  proc.kill('SIGKILL')
  await exited
}

async function pushed(port: number, value: number) {
  const body = [{ endpoint: 'app', metric: 'app.kill9', timestamp: 0, step: 10, value, counterType: 'GAUGE' }]
  return (await fetch(`http://127.0.0.1:${port}/v1/push`, { method: 'POST', body: JSON.stringify(body) }))
    .status
}

async function health(port: number) {
  return (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { status: string; nats: string }
}

async function storedKill9Values(): Promise<number[]> {
  const jsm = await nc.jetstreamManager()
  const { state } = await jsm.streams.info(METRICS_STREAM)
  const out: number[] = []
  const reader = new MetricBatchReader(nc)
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(METRICS_STREAM, { seq })
    const d = await reader.read(m.data, m.subject)
    if (!d.ok) continue
    d.batch.refs.forEach((ref, i) => {
      if (d.batch.series[ref]?.includes('\tapp.kill9\t')) out.push(d.batch.values[i] as number)
    })
  }
  return out.sort((a, b) => a - b)
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(agentDir, 'build.mjs')])
  nats = await startTestNats({ agentHost: HOST })
  nc = await connect({ ...nats.connectOptions('service'), maxReconnectAttempts: -1, reconnectTimeWait: 200 })
  await ensureMetricsStream(await nc.jetstreamManager())
  await openConfigBuckets(nc)
  dir = await tempDir('agent-process-')
})

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) await kill9(child)
})

afterAll(async () => {
  await nc?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('the agent process', () => {
  it('loses no acknowledged point to kill -9, with NATS up or down', async () => {
    const first = await startAgentProcess()
    expect(await pushed(first.port, 1)).toBe(200)
    await kill9(first.proc)
    expect(await storedKill9Values()).toEqual([1])

    // Started while NATS is down: it answers from its spool without ever having reached NATS.
    await nats.stop()
    const second = await startAgentProcess()
    expect(await health(second.port)).toMatchObject({ status: 'degraded', nats: 'unreachable' })
    expect(await pushed(second.port, 2)).toBe(200)
    await kill9(second.proc)

    await nats.restart()
    await startAgentProcess()
    await waitFor(
      async () => (await storedKill9Values()).includes(2),
      30_000,
      'the spooled point after restart',
    )
    expect(await storedKill9Values()).toEqual([1, 2])
  }, 90_000)

  it('loads neither ClickHouse, fastify nor a TypeScript transpiler', async () => {
    const { proc, port } = await startAgentProcess()
    expect(await pushed(port, 3)).toBe(200)
    // zod/mini is bundled, prom-client is not used and yaml is loaded only for a config file.
    const bundle = await readFile(BUNDLE, 'utf8')
    expect(bundle).not.toMatch(/from ["'](zod|prom-client|yaml)["']/)
    // zod's English messages, though the bundle holds zod/mini (which sets no locale) only.
    const bad = await fetch(`http://127.0.0.1:${port}/v1/push`, {
      method: 'POST',
      body: JSON.stringify([
        { endpoint: 1, metric: 'm', timestamp: 0, step: 10, value: 1, counterType: 'GAUGE' },
      ]),
    })
    expect(await bad.json()).toMatchObject({
      errors: [{ index: 0, field: 'endpoint', error: 'Invalid input: expected string, received number' }],
    })
    const maps = await readFile(`/proc/${proc.pid}/maps`, 'utf8')
    expect(maps).not.toMatch(/chdb|libclickhouse/i)
    // Every file the process has mapped or holds open, and the modules it could have imported.
    const modules = execFileSync('sh', ['-c', `ls -l /proc/${proc.pid}/fd; cat /proc/${proc.pid}/maps`], {
      encoding: 'utf8',
    })
    expect(modules).not.toMatch(/fastify|\/tsx\/|esbuild/)
    const status = await readFile(`/proc/${proc.pid}/status`, 'utf8')
    const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1])
    // The bound of a smoke test (the benchmark measures ~47 MiB, docs/benchmarks.md): zod's
    // classic API, prom-client or the optimizing compiler would each add 5 to 10 MiB, the
    // ClickHouse engine ~200 MB.
    expect(rssKiB).toBeLessThan(60 * 1024)
  })
})
