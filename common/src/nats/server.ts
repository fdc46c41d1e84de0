import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface NatsServerOptions {
  /** Folder for the config, the ports file and JetStream's store. */
  dataDir: string
  /** 0 picks a free port. */
  port?: number
  host?: string
  binary?: string
  /** An `authorization` block (authorizationConfig); without one, any client may connect. */
  authorization?: string
}

export interface NatsServer {
  url: string
  port: number
  stop(): Promise<void>
}

export class NatsServerError extends Error {
  override name = 'NatsServerError'
}

/**
 * Runs nats-server as a child process with JetStream on. Resolves once the server reports its
 * listening port (through its ports file), and fails fast with its output if it exits first.
 */
export async function startNatsServer(o: NatsServerOptions): Promise<NatsServer> {
  const dir = resolve(o.dataDir)
  await mkdir(join(dir, 'jetstream'), { recursive: true })
  for (const f of await readdir(dir)) if (f.endsWith('.ports')) await rm(join(dir, f))
  const conf = join(dir, 'nats-server.conf')
  await writeFile(
    conf,
    [
      `host: "${o.host ?? '127.0.0.1'}"`,
      `port: ${o.port ? o.port : -1}`,
      'max_payload: 8MB',
      `ports_file_dir: "${dir}"`,
      `jetstream { store_dir: "${join(dir, 'jetstream')}" }`,
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
  void exited.then(() => process.off('exit', reap))
  const port = await waitForPort(dir, child, exited, () => output)
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    stop: () => stopChild(child, exited),
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
    const file = (await readdir(dir)).find((f) => f.endsWith('.ports'))
    if (file) {
      const ports = JSON.parse(await readFile(join(dir, file), 'utf8')) as { nats?: string[] }
      const url = ports.nats?.[0]
      if (url) return Number(new URL(url).port)
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
