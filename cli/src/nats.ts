import {
  authorizationConfig,
  ConfigError,
  DEPLOY_NATS_USERS,
  ensureNkeySeed,
  type NatsUser,
} from '@peregrine/common'
import type { Command } from 'commander'

/** `U…` or `U…@host`: an nkey's public key, and the host an agent key is narrowed to. */
function parseKey(role: 'service' | 'agent', spec: string): NatsUser {
  const [nkey = '', host] = spec.split('@')
  if (!/^U[A-Z2-7]{55}$/.test(nkey))
    throw new ConfigError(`--${role} ${spec}: not a user nkey public key (U…)`)
  if (role === 'service' && host !== undefined)
    throw new ConfigError(`--service ${spec}: services are not per host`)
  return host ? { role, nkey, host } : { role, nkey }
}

const collect = (value: string, previous: string[]) => [...previous, value]

/** Commands that produce what a distributed deployment's nats-server needs (docs/security.md). */
export function registerNatsCommands(program: Command): void {
  program
    .command('nats-nkey')
    .description("create an nkey seed file (mode 0600) unless it exists, and print the key's public half")
    .argument('<file>', 'where the seed goes; give the file to the process by NATS_NKEY_FILE')
    .action(async (file: string) => {
      console.log((await ensureNkeySeed(file)).publicKey)
    })

  program
    .command('nats-authorization')
    .description(
      'print the authorization block of nats-server.conf: users per role with their permissions; ' +
        'without keys, the password users of deploy/nats.conf',
    )
    .option('--service <key>', 'a service nkey public key (repeatable)', collect, [])
    .option(
      '--agent <key[@host]>',
      'an agent nkey public key, optionally bound to one host (repeatable)',
      collect,
      [],
    )
    .action((o: { service: string[]; agent: string[] }) => {
      const users = [
        ...o.service.map((k) => parseKey('service', k)),
        ...o.agent.map((k) => parseKey('agent', k)),
      ]
      console.log(authorizationConfig(users.length ? users : DEPLOY_NATS_USERS))
    })
}
