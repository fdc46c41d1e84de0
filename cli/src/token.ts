import { existsSync } from 'node:fs'
import {
  AuditLog,
  allInOneServiceKey,
  ConfigStore,
  commonSettings,
  connectNats,
  createLogger,
  loadConfig,
  natsAuthMethod,
  nkeyClientConfig,
  Role,
  TIMED_OUT,
  TokenCreate,
  within,
} from '@peregrine/common'
import { issueToken } from '@peregrine/dashboard'
import type { Command } from 'commander'
import type { z } from 'zod'

const CONNECT_TIMEOUT_MS = 10_000

/**
 * `peregrine token create`: a token made straight in the configuration store, for an operator
 * who can reach NATS (the all-in-one's data folder, or the service credentials). This is the way
 * back in when every admin token is lost; it is audited like any other change.
 */
export function registerTokenCommands(program: Command): void {
  program
    .command('token')
    .description('API tokens, made by an operator with access to NATS (docs/security.md)')
    .command('create')
    .description('create a token and print it once on stdout')
    .requiredOption('--name <name>', 'who or what the token is for')
    .option('--role <role>', `one of ${Role.options.join(', ')}`, 'admin')
    .option('--scope <path>', 'tree path the token may act on; empty: the whole tree', '')
    .action(async (opts: { name: string; role: string; scope: string }) => {
      const text = await createToken(TokenCreate.parse(opts))
      process.stdout.write(`${text}\n`)
    })
}

async function createToken(spec: z.infer<typeof TokenCreate>): Promise<string> {
  const c = loadConfig(commonSettings, 'cli')
  // On the all-in-one's machine, its service key is the operator's without further setup.
  const local = allInOneServiceKey(c.dataDir)
  const settings = natsAuthMethod(c) === 'none' && existsSync(local) ? nkeyClientConfig(c.natsUrl, local) : c
  const log = createLogger('peregrine-token', 'warn')
  const nc = await within(connectNats(settings, 'peregrine-cli', log), CONNECT_TIMEOUT_MS)
  if (nc === TIMED_OUT) throw new Error(`cannot reach NATS at ${c.natsUrl}`)
  try {
    const config = await ConfigStore.open(nc)
    const { tree } = await config.tree()
    if (spec.scope !== '' && !tree.byPath.has(spec.scope)) throw new Error(`no tree node ${spec.scope}`)
    const { record, text } = await issueToken(config, spec, 'operator')
    const { hash: _hash, ...shown } = record
    const audit = await AuditLog.open(nc)
    await audit.record({
      actor: 'operator',
      actorId: 'peregrine token create',
      action: 'create',
      kind: 'token',
      id: record.id,
      before: null,
      after: shown,
      paths: [record.scope],
    })
    return text
  } finally {
    await nc.close()
  }
}
