import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { processInfo } from '@peregrine/common'
import { type TempDir, tempDir, waitFor } from '@peregrine/common/testing'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { type AllInOne, freePort, startAllInOne } from './allinone.ts'

let dir: TempDir
const started: AllInOne[] = []

beforeEach(async () => {
  dir = await tempDir('peregrine-life-')
})

afterEach(async () => {
  for (const a of started.splice(0)) if (a.child.exitCode === null) a.child.kill('SIGKILL')
  await dir.remove()
})

const run = (env: NodeJS.ProcessEnv = {}) => {
  const a = startAllInOne(dir.path, env)
  started.push(a)
  return a
}

const natsPid = async () =>
  (JSON.parse(await readFile(join(dir.path, 'nats', 'nats-server.pid'), 'utf8')) as { pid: number }).pid

it('after kill -9 of the all-in-one, its nats-server goes too and the next start on the same folder and port serves', async () => {
  const port = String(await freePort())
  const first = run({ ALLINONE_NATS_PORT: port })
  await first.logged('dashboard listening')
  const nats = await natsPid()
  first.child.kill('SIGKILL')
  await first.exited
  await waitFor(() => !processInfo(nats)?.args, 10_000, 'the nats-server of the killed all-in-one to exit')

  const second = run({ ALLINONE_NATS_PORT: port })
  const api = String((await second.logged('dashboard listening')).url)
  expect((await fetch(`${api}/healthz`)).status).toBe(200)
  second.child.kill('SIGINT')
  expect(await second.exited).toBe(0)
}, 120_000)

it('a second all-in-one on a folder in use exits with one line naming the process that uses it', async () => {
  const first = run()
  await first.logged('dashboard listening')
  const second = run()
  expect(await second.exited).toBe(1)
  const stderr = second.stderr()
  expect(stderr.trim().split('\n')).toHaveLength(1)
  expect(stderr).toContain(`process ${first.child.pid}`)
  expect(stderr).toContain(dir.path)
  // The first one is untouched.
  expect((await fetch(`${String((await first.logged('dashboard listening')).url)}/healthz`)).status).toBe(200)
}, 120_000)
