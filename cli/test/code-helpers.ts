import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import { startTestApi, type TestApi } from '@peregrine/dashboard/testing'
import { afterAll, beforeAll } from 'vitest'
import type { Writer } from '../src/code/apply.ts'
import { PeregrineClient } from '../src/code/client.ts'
import type { Io, runApply, runDiff } from '../src/code/commands.ts'
import { FileError } from '../src/code/format.ts'
import { PlanError } from '../src/code/plan.ts'

/** The problems a file or a plan is refused with (none: it was accepted). */
export function problemsOf(run: () => unknown): string[] {
  try {
    run()
  } catch (err) {
    if (err instanceof FileError || err instanceof PlanError) return err.problems
    throw err
  }
  return []
}

/** A Writer that records each call as `name [args]` (objects as …) and fails where `fail` says. */
export function recordingWriter(fail: (name: string) => Error | undefined = () => undefined) {
  const calls: string[] = []
  const writer = new Proxy({} as Writer, {
    get:
      (_t, name: string) =>
      async (...args: unknown[]) => {
        calls.push(`${name} ${JSON.stringify(args.map((a) => (typeof a === 'object' ? '…' : a)))}`)
        const err = fail(name)
        if (err) throw err
        return null
      },
  })
  return { calls, writer }
}

/** What useCodeApi gives a test file, once its beforeAll has run. */
export interface CodeApi {
  /** A client of the API as its admin. */
  client: PeregrineClient
  /** An Io for a command, signed in as the admin, that keeps what it printed. */
  capture(): Io & { stdout: string[]; stderr: string[] }
  /** Runs a command on `yaml` written to a file; its exit code and what it printed, by line. */
  run(
    command: typeof runApply | typeof runDiff,
    yaml: string,
    prune?: boolean,
  ): Promise<{ code: number; out: string[] }>
}

/**
 * A real dashboard API (listening) for the test file's code commands, started in beforeAll,
 * prepared with `prepare`, and disposed of (with the folder for the files) in afterAll.
 */
export function useCodeApi(prepare: (client: PeregrineClient) => Promise<void>): CodeApi {
  let api: TestApi | undefined
  let dir: TempDir | undefined
  // Filled in beforeAll, before any test reads it (as useShop's shop).
  const code = {} as CodeApi
  code.capture = () => {
    const stdout: string[] = []
    const stderr: string[] = []
    const env = { PEREGRINE_API: api!.url!, PEREGRINE_TOKEN: api!.admin! }
    return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), env }
  }
  code.run = async (command, yaml, prune = false) => {
    const file = join(dir!.path, 'web.yaml')
    await writeFile(file, yaml)
    const io = code.capture()
    const exit = await command({ file, prune }, io)
    return { code: exit, out: [...io.stdout, ...io.stderr].flatMap((text) => text.split('\n')) }
  }
  beforeAll(async () => {
    api = await startTestApi({ listen: true })
    dir = await tempDir()
    code.client = new PeregrineClient(api.url!, api.admin!)
    await prepare(code.client)
  })
  afterAll(async () => {
    await api?.dispose()
    await dir?.remove()
  })
  return code
}
