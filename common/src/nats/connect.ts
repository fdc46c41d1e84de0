import { readFile } from 'node:fs/promises'
import {
  type ConnectionOptions,
  connect,
  credsAuthenticator,
  type NatsConnection,
  nkeyAuthenticator,
  type TlsOptions,
} from 'nats'
import { type CommonConfig, ConfigError } from '../config.ts'
import type { Logger } from '../log.ts'

export type NatsClientConfig = Pick<
  CommonConfig,
  | 'natsUrl'
  | 'natsUser'
  | 'natsPassword'
  | 'natsNkeyFile'
  | 'natsCredsFile'
  | 'natsTlsCa'
  | 'natsTlsCert'
  | 'natsTlsKey'
>

/** Settings that authenticate with the nkey seed in `seedFile` and nothing else. */
export const nkeyClientConfig = (url: string, seedFile: string): NatsClientConfig => ({
  natsUrl: url,
  natsUser: '',
  natsPassword: '',
  natsNkeyFile: seedFile,
  natsCredsFile: '',
  natsTlsCa: '',
  natsTlsCert: '',
  natsTlsKey: '',
})

type AuthMethod = 'none' | 'user' | 'nkey' | 'creds'

/** Which credential the settings give; more than one, or half of one, is a configuration error. */
export function natsAuthMethod(c: NatsClientConfig): AuthMethod {
  const given: AuthMethod[] = []
  if (c.natsUser || c.natsPassword) given.push('user')
  if (c.natsNkeyFile) given.push('nkey')
  if (c.natsCredsFile) given.push('creds')
  if (given.length > 1)
    throw new ConfigError(
      'NATS credentials: set only one of NATS_USER/NATS_PASSWORD, NATS_NKEY_FILE, NATS_CREDS_FILE',
    )
  if (given[0] === 'user' && !(c.natsUser && c.natsPassword))
    throw new ConfigError('NATS credentials: NATS_USER and NATS_PASSWORD go together')
  if (c.natsTlsCert && !c.natsTlsKey) throw new ConfigError('NATS TLS: NATS_TLS_CERT needs NATS_TLS_KEY')
  if (c.natsTlsKey && !c.natsTlsCert) throw new ConfigError('NATS TLS: NATS_TLS_KEY needs NATS_TLS_CERT')
  return given[0] ?? 'none'
}

async function readSecret(file: string, setting: string): Promise<Uint8Array> {
  try {
    return new TextEncoder().encode((await readFile(file, 'utf8')).trim())
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`)
  }
}

async function authOptions(c: NatsClientConfig): Promise<Partial<ConnectionOptions>> {
  switch (natsAuthMethod(c)) {
    case 'user':
      return { user: c.natsUser, pass: c.natsPassword }
    case 'nkey':
      return { authenticator: nkeyAuthenticator(await readSecret(c.natsNkeyFile, 'NATS_NKEY_FILE')) }
    case 'creds':
      return { authenticator: credsAuthenticator(await readSecret(c.natsCredsFile, 'NATS_CREDS_FILE')) }
    case 'none':
      return {}
  }
}

function tlsOptions(c: NatsClientConfig): TlsOptions | undefined {
  if (!c.natsTlsCa && !c.natsTlsCert) return undefined
  return {
    ...(c.natsTlsCa ? { caFile: c.natsTlsCa } : {}),
    ...(c.natsTlsCert ? { certFile: c.natsTlsCert, keyFile: c.natsTlsKey } : {}),
  }
}

export interface NatsClientOptions {
  name?: string
  /** Where replies to this connection go; agents must use agentInboxPrefix (their permissions allow only it). */
  inboxPrefix?: string
}

/** The options to connect with these settings (credentials read from their files). */
export async function natsConnectionOptions(
  c: NatsClientConfig,
  o: NatsClientOptions = {},
): Promise<ConnectionOptions> {
  const tls = tlsOptions(c)
  return {
    servers: c.natsUrl.split(',').map((s) => s.trim()),
    ...(o.name ? { name: o.name } : {}),
    ...(o.inboxPrefix ? { inboxPrefix: o.inboxPrefix } : {}),
    ...(tls ? { tls } : {}),
    ...(await authOptions(c)),
  }
}

/**
 * A connection that retries for ever (services outlive NATS restarts) and logs its state
 * changes. `waitOnFirstConnect` lets a service start before NATS is up.
 */
export async function connectNats(
  c: NatsClientConfig,
  name: string,
  log: Logger,
  o: Omit<NatsClientOptions, 'name'> = {},
): Promise<NatsConnection> {
  const nc = await connect({
    ...(await natsConnectionOptions(c, { ...o, name })),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  })
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'pingTimer') continue
      log.info({ nats: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'nats status')
    }
  })()
  return nc
}
