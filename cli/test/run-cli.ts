import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..', '..')

/** Runs the real `peregrine` command with `env` added to this process's environment. */
export function runCli(args: string[], env: NodeJS.ProcessEnv) {
  return runCommand(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', ...args], env)
}

/** Runs `command` in the repository's root, as a user would type it there. */
export async function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const [code] = await once(child, 'exit')
  return { code: code as number, stdout, stderr }
}

/**
 * Starts `peregrine <command>` as a long-running child with only `env` (and PATH), its output
 * shown; the caller stops or kills it. Failover tests start several and kill one.
 */
export function startCli(command: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', command], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
}
