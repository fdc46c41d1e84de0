import { execFileSync } from 'node:child_process'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  createLogger,
  ensureMetricsStream,
  MAX_BATCH_BYTES,
  METRICS_STREAM,
  type MetricBatch,
  MetricBatchReader,
} from '@peregrine/common'
import {
  metricsStreamBatches,
  startTestNats,
  type TempDir,
  type TestNats,
  tempDir,
  waitFor,
} from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Agent, loadAgentConfig, startAgent } from '../src/index.ts'

const HOST = 'durable-test'
let nats: TestNats
let dir: TempDir
let nc: NatsConnection
let agent: Agent
let spoolDir: string
/** How the spool was made to fail: a 1 MiB tmpfs filled up (root), or a read-only folder. */
let fullDisk: { fill(): Promise<void>; free(): Promise<void>; dispose(): Promise<void> }

const url = (path: string) => `http://127.0.0.1:${agent.port}${path}`

let pushSeq = 0
/** Pushes `n` points, each with its own value, and returns the answer and the values. */
async function push(n: number) {
  const ts = Math.floor(Date.now() / 1000)
  const values = Array.from({ length: n }, () => ++pushSeq)
  const body = values.map((value) => ({
    endpoint: 'app-1',
    metric: 'app.pushed',
    timestamp: ts,
    step: 10,
    value,
    counterType: 'GAUGE',
    tags: '',
  }))
  const res = await fetch(url('/v1/push'), { method: 'POST', body: JSON.stringify(body) })
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, values }
}

const health = async () => {
  const res = await fetch(url('/healthz'))
  return { ...((await res.json()) as { reason?: string; nats: string }), status: res.status }
}

function pushedValues(batches: MetricBatch[]): number[] {
  return batches.flatMap((b) =>
    b.refs.flatMap((ref, i) => (b.series[ref]?.includes('\tapp.pushed\t') ? [b.values[i] as number] : [])),
  )
}

async function streamValues(): Promise<number[]> {
  return pushedValues(await metricsStreamBatches(nc))
}

async function spoolValues(): Promise<number[]> {
  const files = (await readdir(spoolDir)).filter((f) => f.endsWith('.batch')).sort()
  // Spooled messages carry their series' definitions: no dictionary is needed to read them.
  const reader = new MetricBatchReader(null)
  const batches = await Promise.all(files.map(async (f) => reader.read(await readFile(join(spoolDir, f)))))
  return pushedValues(batches.flatMap((d) => (d.ok ? [d.batch] : [])))
}

/** A real full disk when this runs as root (a small tmpfs); otherwise a folder without write permission. */
async function makeFullDisk(path: string): Promise<typeof fullDisk> {
  await mkdir(path, { recursive: true })
  if (process.getuid?.() === 0) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', path])
    const filler = join(path, 'filler')
    return {
      async fill() {
        // Writes until the filesystem refuses: ENOSPC is the error under test.
        await writeFile(filler, Buffer.alloc(2 * 1024 * 1024)).catch(() => {})
      },
      free: () => rm(filler, { force: true }),
      dispose: async () => {
        execFileSync('umount', [path])
      },
    }
  }
  return {
    fill: () => chmod(path, 0o500),
    free: () => chmod(path, 0o700),
    dispose: () => chmod(path, 0o700),
  }
}

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  dir = await tempDir('durable-')
  nc = await connect({ ...nats.connectOptions('service'), maxReconnectAttempts: -1, reconnectTimeWait: 200 })
  await ensureMetricsStream(await nc.jetstreamManager())
  spoolDir = join(dir.path, 'spool')
  fullDisk = await makeFullDisk(spoolDir)
  const agentNc = await connect({
    ...nats.connectOptions('agent'),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 200,
  })
  const config = loadAgentConfig({
    AGENT_HOSTNAME: HOST,
    AGENT_STEP: '1',
    AGENT_HTTP_PORT: '0',
    AGENT_SPOOL_DIR: spoolDir,
  })
  agent = await startAgent(config, {
    nc: agentNc,
    log: createLogger('agent', 'silent'),
    sources: [],
  })
})

afterAll(async () => {
  await agent?.stop()
  await nc?.close()
  await fullDisk?.dispose()
  await nats?.dispose()
  await dir?.remove()
})

describe('a pushed point is acknowledged only once it is stored', () => {
  it('is in JetStream when the 200 arrives', async () => {
    const r = await push(3)
    expect(r.status).toBe(200)
    expect(await streamValues()).toEqual(expect.arrayContaining(r.values))
  })

  it('cuts a large push into messages that fit, each with its own Nats-Msg-Id', async () => {
    const ts = Math.floor(Date.now() / 1000)
    // 10,000 series of ~500 characters: ~5.6 MB encoded, over MAX_BATCH_BYTES.
    const body = Array.from({ length: 10_000 }, (_, i) => ({
      endpoint: 'app-2',
      metric: `big.${i}.`.padEnd(500, 'x'),
      timestamp: ts,
      step: 10,
      value: i,
      counterType: 'GAUGE',
    }))
    const jsm = await nc.jetstreamManager()
    const firstSeq = (await jsm.streams.info(METRICS_STREAM)).state.last_seq + 1
    const res = await fetch(url('/v1/push'), { method: 'POST', body: JSON.stringify(body) })
    expect(res.status).toBe(200)
    const lastSeq = (await jsm.streams.info(METRICS_STREAM)).state.last_seq
    const ids = new Set<string>()
    let points = 0
    const reader = new MetricBatchReader(nc)
    for (let seq = firstSeq; seq <= lastSeq; seq++) {
      const m = await jsm.streams.getMessage(METRICS_STREAM, { seq })
      const d = await reader.read(m.data, m.subject)
      if (!d.ok || !d.batch.series[0]?.startsWith('app-2\t')) continue
      expect(m.data.byteLength).toBeLessThanOrEqual(MAX_BATCH_BYTES)
      ids.add(m.header?.get('Nats-Msg-Id') ?? '')
      points += d.batch.refs.length
    }
    expect(points).toBe(10_000)
    expect(ids.size).toBeGreaterThanOrEqual(2)
  })

  it('is fsynced in the spool when the 200 arrives while NATS is down', async () => {
    await nats.stop()
    await waitFor(async () => (await health()).nats === 'unreachable', 10_000, 'the agent to see NATS gone')
    const r = await push(5)
    expect(r.status).toBe(200)
    expect(await spoolValues()).toEqual(expect.arrayContaining(r.values))
  })

  it('coalesces concurrent pushes into few batches', async () => {
    const before = (await readdir(spoolDir)).length
    const answers = await Promise.all(Array.from({ length: 20 }, () => push(2)))
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200))
    expect(await spoolValues()).toEqual(expect.arrayContaining(answers.flatMap((a) => a.values)))
    // One cycle batch may land in between; 20 pushes one batch each would be 20 files.
    expect((await readdir(spoolDir)).length - before).toBeLessThanOrEqual(4)
  })

  it('answers 503 with the reason while the disk is full and NATS down, and recovers by itself', async () => {
    const acknowledged = [...(await spoolValues())]
    await fullDisk.fill()
    const refused = await push(4)
    expect(refused.status).toBe(503)
    expect(String(refused.body.error)).toMatch(
      /NATS is unreachable and the spool cannot be written: .*(ENOSPC|EACCES)/,
    )
    const sick = await health()
    expect(sick.status).toBe(503)
    expect(sick.reason).toMatch(/ENOSPC|EACCES/)

    await fullDisk.free()
    const accepted = await push(4)
    expect(accepted.status).toBe(200)
    expect((await health()).status).toBe(200)
    acknowledged.push(...accepted.values)

    await nats.restart()
    await waitFor(async () => (await health()).nats === 'connected', 20_000, 'the agent to reconnect')
    await waitFor(
      async () => {
        const stored = new Set(await streamValues())
        return acknowledged.every((v) => stored.has(v))
      },
      30_000,
      'every acknowledged point in JetStream',
    )
  }, 90_000)
})
