import { execFileSync } from 'node:child_process'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import { afterEach, expect, it } from 'vitest'
import { type AllInOne, startAllInOne } from './allinone.ts'

/** A real small volume needs a tmpfs mount, which only root may make; elsewhere this file is skipped. */
const canMount = process.getuid?.() === 0 && process.platform === 'linux'

let dir: TempDir | undefined
let mounted = false
let app: AllInOne | undefined

async function smallVolume(megabytes: number): Promise<string> {
  dir = await tempDir('peregrine-small-')
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${megabytes}m`, 'tmpfs', dir.path])
  mounted = true
  return dir.path
}

afterEach(async () => {
  if (app?.child.exitCode === null) {
    app.child.kill('SIGINT')
    await app.exited
  }
  if (mounted) execFileSync('umount', [dir!.path])
  mounted = false
  await dir?.remove()
})

it.skipIf(!canMount)(
  'the all-in-one starts on a 150 MB volume with a metrics stream of half its free space',
  async () => {
    app = startAllInOne(await smallVolume(150))
    const nats = await app.logged('nats-server started')
    expect(nats.streamMaxBytes).toBeGreaterThan(64 * 1024 ** 2)
    expect(nats.streamMaxBytes).toBeLessThanOrEqual(75 * 1024 ** 2)
    await app.logged('dashboard listening')
  },
  120_000,
)

it.skipIf(!canMount)(
  'on a volume too small it exits with one line saying so',
  async () => {
    app = startAllInOne(await smallVolume(100))
    expect(await app.exited).toBe(1)
    expect(app.stderr().trim()).toMatch(/^not enough disk space for NATS in .*: \d+ MiB free, [^\n]*$/)
  },
  60_000,
)
