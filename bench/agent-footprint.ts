// Agent footprint: the agent as hosts run it (its bundle on plain node, a 10 s step, its own
// process) next to Debian's prometheus-node-exporter, both idle for --duration seconds, RSS and
// CPU of each read from /proc the same way; then push latency, with NATS up and with it down.
// With --jit, the same bundle also runs without --jitless in the same window: what the flag
// saves, and a CPU comparison that holds on a machine busy with other work.
// Usage: npm run bench:agent [-- --duration 300 --pushes 500 --jit]
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { AGENT_NODE_FLAGS } from '@peregrine/agent/node-flags'
import { ensureMetricsStream, openConfigBuckets } from '@peregrine/common'
import { startTestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { connect } from 'nats'
import { cpuSeconds, statusBytes } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    step: { type: 'string', default: '10' },
    pushes: { type: 'string', default: '300' },
    jit: { type: 'boolean', default: false },
  },
})
const durationS = Number(args.duration)
const HOST = 'footprint-host'
const root = new URL('..', import.meta.url).pathname

function nodeExporter(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus-node-exporter'], { encoding: 'utf8' }).trim()
  } catch {
    throw new Error('prometheus-node-exporter is missing: apt-get install prometheus-node-exporter')
  }
}

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as { port: number }
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** Resident memory in MiB: all of it (VmRSS), and the private part (RssAnon, without mapped files such as the binary). */
function rssMiB(pid: number): { all: number; anon: number } {
  return { all: statusBytes(pid, 'VmRSS') / 2 ** 20, anon: statusBytes(pid, 'RssAnon') / 2 ** 20 }
}

interface Footprint {
  rssAvg: number
  rssMax: number
  anonAvg: number
  cpuPercent: number
}

/** Samples RSS once a second and CPU at both ends, for every process, over the same window. */
async function measure(pids: number[], seconds: number): Promise<Footprint[]> {
  const cpu0 = pids.map(cpuSeconds)
  const t0 = performance.now()
  const rss: { all: number; anon: number }[][] = pids.map(() => [])
  for (let s = 0; s < seconds; s++) {
    await sleep(1000)
    for (const [i, pid] of pids.entries()) rss[i]!.push(rssMiB(pid))
  }
  const elapsed = (performance.now() - t0) / 1000
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
  return pids.map((pid, i) => ({
    rssAvg: avg(rss[i]!.map((r) => r.all)),
    rssMax: Math.max(...rss[i]!.map((r) => r.all)),
    anonAvg: avg(rss[i]!.map((r) => r.anon)),
    cpuPercent: ((cpuSeconds(pid) - cpu0[i]!) / elapsed) * 100,
  }))
}

/** Sequential pushes of 10 points each; latency percentiles in ms. */
async function pushLatency(port: number, n: number) {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const body = Array.from({ length: 10 }, (_, j) => ({
      endpoint: 'bench-app',
      metric: `bench.m${j}`,
      timestamp: 0,
      step: 10,
      value: i,
      counterType: 'GAUGE',
    }))
    const t = performance.now()
    const res = await fetch(`http://127.0.0.1:${port}/v1/push`, {
      method: 'POST',
      body: JSON.stringify(body),
    })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`push answered ${res.status}`)
    times.push(performance.now() - t)
  }
  times.sort((a, b) => a - b)
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!
  return { p50: at(0.5), p99: at(0.99) }
}

function startAgent(
  env: Record<string, string>,
  flags: readonly string[] = AGENT_NODE_FLAGS,
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [...flags, join(root, 'agent/dist/peregrine-agent.mjs')], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`agent exited with ${code}`)))
    let buffered = ''
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      const m = /"port":(\d+)[^\n]*"msg":"agent started"/.exec(buffered)
      if (m) resolve({ proc, port: Number(m[1]) })
    })
  })
}

const exporterBin = nodeExporter()
execFileSync(process.execPath, [join(root, 'agent/build.mjs')], { stdio: 'inherit' })
const dir = await tempDir('peregrine-footprint-')
const nats = await startTestNats({ agentHost: HOST })
const service = await connect(nats.connectOptions('service'))
await ensureMetricsStream(await service.jetstreamManager())
await openConfigBuckets(service)

const agentEnv = (spool: string) => ({
  ...nats.env('agent'),
  AGENT_HOSTNAME: HOST,
  AGENT_HTTP_PORT: '0',
  AGENT_STEP: args.step,
  AGENT_SPOOL_DIR: join(dir.path, spool),
  LOG_LEVEL: 'info',
})
const agent = await startAgent(agentEnv('spool'))
const JIT_FLAGS = AGENT_NODE_FLAGS.filter((f) => f !== '--jitless' && f !== '--no-expose-wasm')
const jitAgent = args.jit ? await startAgent(agentEnv('spool-jit'), JIT_FLAGS) : undefined
const exporter = spawn(exporterBin, [`--web.listen-address=127.0.0.1:${await freePort()}`], {
  stdio: ['ignore', 'ignore', 'ignore'],
})

try {
  console.log(
    `agent (pid ${agent.proc.pid}) and node_exporter (pid ${exporter.pid}) idle for ${durationS} s…`,
  )
  await sleep(5000)
  const pids = [agent.proc.pid!, exporter.pid!, ...(jitAgent ? [jitAgent.proc.pid!] : [])]
  const [a, e, j] = (await measure(pids, durationS)) as [Footprint, Footprint, Footprint?]
  const row = (name: string, f: Footprint) =>
    `| ${name} | ${f.rssAvg.toFixed(1)} | ${f.rssMax.toFixed(1)} | ${f.anonAvg.toFixed(1)} | ${f.cpuPercent.toFixed(3)} |`
  console.log(
    `\nidle, ${args.step} s step, ${durationS} s (${process.version}, node flags ${AGENT_NODE_FLAGS.join(' ')})`,
  )
  console.log('| process | RSS avg MiB | RSS max MiB | private (RssAnon) avg MiB | CPU % of a core |')
  console.log('| --- | --- | --- | --- | --- |')
  console.log(row('peregrine agent', a))
  console.log(row('prometheus-node-exporter', e))
  if (j) console.log(row(`the same without --jitless (${JIT_FLAGS.join(' ')})`, j))
  console.log(
    `| ratio agent / node_exporter | ${(a.rssAvg / e.rssAvg).toFixed(2)} | ${(a.rssMax / e.rssMax).toFixed(2)} | ${(a.anonAvg / e.anonAvg).toFixed(2)} | ${e.cpuPercent > 0 ? (a.cpuPercent / e.cpuPercent).toFixed(2) : 'n/a (node_exporter used none)'} |`,
  )

  const n = Number(args.pushes)
  const up = await pushLatency(agent.port, n)
  await nats.stop()
  await waitFor(
    async () => {
      const health = (await (await fetch(`http://127.0.0.1:${agent.port}/healthz`)).json()) as {
        nats: string
      }
      return health.nats === 'unreachable'
    },
    10_000,
    'the agent to see NATS gone',
  )
  const down = await pushLatency(agent.port, n)
  console.log(`\npush latency, ${n} sequential pushes of 10 points, answered once stored`)
  console.log('| NATS | p50 ms | p99 ms |')
  console.log('| --- | --- | --- |')
  console.log(`| up (JetStream acknowledgement) | ${up.p50.toFixed(2)} | ${up.p99.toFixed(2)} |`)
  console.log(`| down (spool, fsync) | ${down.p50.toFixed(2)} | ${down.p99.toFixed(2)} |`)
} finally {
  agent.proc.kill('SIGKILL')
  jitAgent?.proc.kill('SIGKILL')
  exporter.kill('SIGTERM')
  await service.close().catch(() => {})
  await nats.dispose()
  await dir.remove()
}
