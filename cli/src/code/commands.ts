import { readFile, writeFile } from 'node:fs/promises'
import { text } from 'node:stream/consumers'
import type { Command } from 'commander'
import { ApplyError, applyPlan } from './apply.ts'
import { ApiError, connection, PeregrineClient, readState } from './client.ts'
import { describeChange, renderPlan } from './diff.ts'
import { exportYaml } from './export.ts'
import { type CodeFile, parseCodeFile, Scope } from './format.ts'
import { type Plan, PlanError, plan, type State } from './plan.ts'

/** Exit codes: 0 done (no changes, for diff), 1 error, 2 diff --exit-code found changes. */
export const EXIT = { ok: 0, error: 1, changes: 2 } as const

export interface Io {
  out(line: string): void
  err(line: string): void
  env: NodeJS.ProcessEnv
}
const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
}

export interface ConnectionOptions {
  api?: string
  token?: string
}
export interface PlanOptions extends ConnectionOptions {
  file: string
  prune?: boolean
}

/** Reads and validates a file (`-` is stdin). */
export async function readCodeFile(path: string): Promise<CodeFile> {
  let body: string
  try {
    body = path === '-' ? await text(process.stdin) : await readFile(path, 'utf8')
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`)
  }
  return parseCodeFile(body, path === '-' ? 'stdin' : path)
}

/** Reads the file and the server, and plans. Nothing is changed. */
async function planFrom(opts: PlanOptions, env: NodeJS.ProcessEnv) {
  const file = await readCodeFile(opts.file)
  const { api, token } = connection(opts, env)
  const client = new PeregrineClient(api, token)
  const prune = opts.prune ?? false
  const state = await readState(client, {
    teams: file.teams !== undefined,
    hosts: prune && !!file.tree,
    silences: file.silences !== undefined,
    escalation: file.escalation !== undefined,
    screens: file.screens !== undefined,
  })
  return { file, client, state, plan: plan(file, state, { prune }) }
}

/** Without --prune: how many items of the scope the file leaves out (what --prune would delete). */
function unmanaged(file: CodeFile, state: State, p: Plan): number {
  if (p.prune) return 0
  try {
    return plan(file, { ...state, hosts: undefined }, { prune: true }).changes.filter(
      (c) => c.op === 'delete',
    ).length
  } catch {
    return 0
  }
}

function report(err: unknown, io: Io): number {
  if (err instanceof ApiError) io.err(`error: ${err.message} (HTTP ${err.status})`)
  else if (err instanceof ApplyError || err instanceof PlanError) io.err(`error: ${err.message}`)
  else if (err instanceof Error) io.err(`error: ${err.message}`)
  else io.err(`error: ${String(err)}`)
  return EXIT.error
}

/** `peregrine diff`: prints the plan; with `exitCode`, exits 2 when there are changes. */
export async function runDiff(
  opts: PlanOptions & { exitCode?: boolean },
  io: Io = processIo,
): Promise<number> {
  try {
    const { file, state, plan: p } = await planFrom(opts, io.env)
    io.out(renderPlan(p))
    const left = unmanaged(file, state, p)
    if (left) io.out(`(${left} item(s) of the scope are not in the file: apply --prune would delete them)`)
    return opts.exitCode && p.changes.length ? EXIT.changes : EXIT.ok
  } catch (err) {
    return report(err, io)
  }
}

/** `peregrine apply`: prints the plan, applies it, stops at the first error. */
export async function runApply(opts: PlanOptions, io: Io = processIo): Promise<number> {
  try {
    const { client, plan: p } = await planFrom(opts, io.env)
    io.out(renderPlan(p))
    if (!p.changes.length) return EXIT.ok
    const done = await applyPlan(client, p, (c) => io.out(`applied ${describeChange(c, false)}`))
    io.out(`Done: ${done.length} change(s) applied.`)
    return EXIT.ok
  } catch (err) {
    return report(err, io)
  }
}

/** `peregrine export`: the YAML of a scope, to stdout or `output`. */
export async function runExport(
  opts: ConnectionOptions & { scope?: string; output?: string },
  io: Io = processIo,
): Promise<number> {
  try {
    const scope = Scope.safeParse(opts.scope ?? '')
    if (!scope.success) throw new Error(`--scope: ${scope.error.issues[0]?.message}`)
    const { api, token } = connection(opts, io.env)
    const client = new PeregrineClient(api, token)
    const want = { teams: scope.data === '', hosts: false, silences: true, escalation: true, screens: true }
    const yaml = exportYaml(await readState(client, want), scope.data)
    if (opts.output) await writeFile(opts.output, yaml)
    else io.out(yaml.trimEnd())
    return EXIT.ok
  } catch (err) {
    return report(err, io)
  }
}

/** Adds `apply`, `diff` and `export` to the CLI. */
export function registerCodeCommands(program: Command): void {
  const connectionOptions = (c: Command) =>
    c
      .option('--api <url>', 'the dashboard API (default: env PEREGRINE_API, else http://127.0.0.1:8080)')
      .option('--token <token>', 'API token (default: env PEREGRINE_TOKEN, which is better: argv is visible)')
  const done = (code: number) => {
    process.exitCode = code
  }

  connectionOptions(
    program
      .command('apply')
      .description('make the tree nodes, teams and strategies on the server match a YAML file')
      .requiredOption('-f, --file <file>', 'the file (- for stdin)')
      .option('--prune', 'also delete what the file leaves out, within its scope'),
  ).action(async (o: PlanOptions) => done(await runApply(o)))

  connectionOptions(
    program
      .command('diff')
      .description('show what apply would change, without changing anything')
      .requiredOption('-f, --file <file>', 'the file (- for stdin)')
      .option('--prune', 'also show what apply --prune would delete')
      .option('--exit-code', 'exit 2 when there are changes (0 when none, 1 on error)'),
  ).action(async (o: PlanOptions & { exitCode?: boolean }) => done(await runDiff(o)))

  connectionOptions(
    program
      .command('export')
      .description('print the YAML file of a scope as it is on the server')
      .option('--scope <path>', 'the tree path to export (default: the whole tree)')
      .option('-o, --output <file>', 'write to this file instead of stdout'),
  ).action(async (o: ConnectionOptions & { scope?: string; output?: string }) => done(await runExport(o)))
}
