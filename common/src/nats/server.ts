import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describeProcess, processInfo } from '../process.ts'

export interface NatsServerOptions {
  /** Folder for the config, the ports file and JetStream's store. */
  dataDir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  binary?: string
  /** An `authorization` block (authorizationConfig); without one, any client may connect. */
  authorization?: string
  /** JetStream's disk limit in bytes; without one, nats-server takes 75% of the free space at start. */
  maxFileStore?: number
  /** Bytes the server queues for one client before dropping it as a slow consumer (64 MiB by default). */
  maxPendingBytes?: number
}

export interface NatsServer {
  url: string
  port: number
  stop(): Promise<void>
}

export class NatsServerError extends Error {
  override name = 'NatsServerError'
}

/** Names the running server and the process that started it, so the next start can tell. */
const PID_FILE = 'nats-server.pid'

/**
 * Runs nats-server as a child process with JetStream on. Resolves once the server reports its
 * listening port (through its ports file), and fails fast with its output if it exits first.
 * The server dies with this process however it ends (see watchdog); one left running by an
 * earlier owner that is gone is stopped first, one whose owner still runs makes this fail.
 */
export async function startNatsServer(o: NatsServerOptions): Promise<NatsServer> {
  const dir = resolve(o.dataDir)
  await mkdir(join(dir, 'jetstream'), { recursive: true })
  const conf = join(dir, 'nats-server.conf')
  await stopLeftBehind(dir, conf)
  for (const f of await readdir(dir)) if (f.endsWith('.ports')) await rm(join(dir, f))
  await writeFile(
    conf,
    [
      `host: "${o.host ?? '127.0.0.1'}"`,
      `port: ${o.port ? o.port : -1}`,
      'max_payload: 8MB',
      o.maxPendingBytes ? `max_pending: ${o.maxPendingBytes}` : '',
      `ports_file_dir: "${dir}"`,
      `jetstream { store_dir: "${join(dir, 'jetstream')}"${o.maxFileStore ? `, max_file_store: ${o.maxFileStore}` : ''} }`,
      o.authorization ?? '',
    ].join('\n'),
    { mode: 0o600 },
  )
  // Written before with looser bits, or by an older version: it names who may connect.
  await chmod(conf, 0o600)
  const child = spawn(o.binary ?? natsServerBinary(), ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] })
  let output = ''
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000)
  })
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
  child.once('error', (err) => {
    output += `\n${err.message}`
  })
  // A parent that exits without stop() (a crash, a test runner tearing down) must not leave the
  // server behind; only SIGKILL of the parent escapes this.
  const reap = () => child.kill('SIGKILL')
  process.once('exit', reap)
  const guard = child.pid === undefined ? undefined : watchdog(child.pid)
  const pidFile = join(dir, PID_FILE)
  if (child.pid !== undefined)
    await writeFile(pidFile, JSON.stringify({ pid: child.pid, owner: process.pid }))
  void exited.then(() => {
    process.off('exit', reap)
    guard?.kill('SIGKILL')
  })
  const port = await waitForPort(dir, child, exited, () => output)
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: async () => {
      guard?.kill('SIGKILL')
      await stopChild(child, exited)
      await rm(pidFile, { force: true })
    },
  }
}

/**
 * A shell that stops nats-server `pid` once this process is gone, even by SIGKILL, which no
 * handler sees. Its stdin is a pipe from this process: the kernel closes it when this process
 * ends, however it ends, and `read` returns.
 */
function watchdog(pid: number): ChildProcess {
  const w = spawn('sh', ['-c', `read _; kill -TERM ${pid} 2>/dev/null`], {
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  w.on('error', () => undefined) // no sh: the PID file still lets the next start clean up
  // Neither the shell nor its pipe may keep this process alive.
  w.unref()
  ;(w.stdin as unknown as { unref(): void } | null)?.unref()
  return w
}

/**
 * Stops a nats-server that runs on this folder's config but whose owner is gone (killed before
 * it could stop it): it holds the port and the JetStream store the new one needs. The PID file
 * says which process it is; its command line must name this config, since after a reboot the id
 * may belong to anything. Refuses when the owner still runs: two all-in-ones on one folder.
 */
async function stopLeftBehind(dir: string, conf: string): Promise<void> {
  const record = await readPidFile(join(dir, PID_FILE))
  if (!record) return
  const nats = processInfo(record.pid)
  if (!nats?.args.includes(conf)) return
  if (nats.ppid === record.owner) {
    const owner = processInfo(record.owner)
    throw new NatsServerError(
      `${dir} is in use by the nats-server of ${owner ? describeProcess(owner) : `process ${record.owner}`}: stop it first, or give this one another data folder`,
    )
  }
  await terminate(record.pid)
}

async function readPidFile(file: string): Promise<{ pid: number; owner: number } | undefined> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as { pid?: unknown; owner?: unknown }
    return typeof r.pid === 'number' && typeof r.owner === 'number'
      ? { pid: r.pid, owner: r.owner }
      : undefined
  } catch {
    return undefined // none, or torn by a crash while written: nothing to go by
  }
}

/** SIGTERM (JetStream flushes its store), SIGKILL after 5 s; resolves once the process is gone. */
async function terminate(pid: number): Promise<void> {
  const gone = () => !processInfo(pid)?.args
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(pid, s)
    } catch {
      // exited meanwhile
    }
  }
  signal('SIGTERM')
  for (let waited = 0; !gone(); waited += 50) {
    if (waited === 5000) signal('SIGKILL')
    if (waited > 10_000)
      throw new NatsServerError(`nats-server ${pid}, left by an earlier start, does not stop`)
    await sleep(50)
  }
}

/** Debian installs nats-server in /usr/sbin, which a non-login PATH may lack. */
export function natsServerBinary(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/usr/local/bin']
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server')
    if (dir && existsSync(candidate)) return candidate
  }
  return 'nats-server'
}

async function waitForPort(
  dir: string,
  child: ChildProcess,
  exited: Promise<number | null>,
  output: () => string,
): Promise<number> {
  let done = false
  void exited.then(() => {
    done = true
  })
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    if (done || child.exitCode !== null)
      throw new NatsServerError(`nats-server exited before listening:\n${output()}`)
    // This server's file (the name carries its pid; a restart may find the last one's too),
    // read again until whole: the server may be writing it.
    const file = (await readdir(dir)).find((f) => f.endsWith(`_${child.pid}.ports`))
    if (file) {
      try {
        const ports = JSON.parse(await readFile(join(dir, file), 'utf8')) as { nats?: string[] }
        const url = ports.nats?.[0]
        if (url) return Number(new URL(url).port)
      } catch {
        // not written yet
      }
    }
    await sleep(25)
  }
  child.kill('SIGKILL')
  throw new NatsServerError(`nats-server did not start within 15 s:\n${output()}`)
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
