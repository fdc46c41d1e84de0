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

/** Pause before the second attempt to reach NATS; it doubles up to FIRST_CONNECT_MAX_WAIT_MS. */
const FIRST_CONNECT_WAIT_MS = 500
const FIRST_CONNECT_MAX_WAIT_MS = 5000

/** A connection being made in the background (connectNatsLater). */
export interface LateNats {
  /** Resolves once NATS is reached; never settles when stop() comes first. */
  readonly connection: Promise<NatsConnection>
  /** Why NATS has not been reached yet (the last attempt's error); undefined once it has been. */
  readonly problem: string | undefined
  /** Stops trying, or drains the connection if there is one. */
  stop(): Promise<void>
}

/**
 * Connects in the background, so the caller can start without NATS: attempts are retried for
 * ever (500 ms apart, doubling up to 5 s) until one succeeds or stop() is called; from then on the
 * connection reconnects for ever by itself (services outlive NATS restarts) and logs its state
 * changes. Settings that cannot work (an unreadable credentials file) throw here, at once.
 */
export async function connectNatsLater(
  c: NatsClientConfig,
  name: string,
  log: Logger,
  o: Omit<NatsClientOptions, 'name'> = {},
): Promise<LateNats> {
  const options: ConnectionOptions = {
    ...(await natsConnectionOptions(c, { ...o, name })),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // nats.js captures a stack trace for every request (each JetStream publish is one), for the
    // rare timeout to point at its caller: a quarter of the alarm's CPU in a storm. Our logs say
    // which operation failed.
    noAsyncTraces: true,
  }
  let stopped = false
  let nc: NatsConnection | undefined
  let problem: string | undefined = 'not connected yet'
  let wake = () => {}
  const connection = new Promise<NatsConnection>((resolve) => {
    void (async () => {
      let wait = FIRST_CONNECT_WAIT_MS
      let logged = ''
      while (!stopped) {
        try {
          const conn = await connect(options)
          if (stopped) {
            await conn.close()
            return
          }
          nc = conn
          problem = undefined
          logStatus(conn, log)
          resolve(conn)
          return
        } catch (err) {
          problem = (err as Error).message
          // Once per cause, not once per attempt: an agent may wait for NATS for days.
          if (problem !== logged) log.warn({ err: problem }, 'NATS cannot be reached yet; retrying')
          logged = problem
        }
        await new Promise<void>((done) => {
          const timer = setTimeout(done, wait)
          wake = () => {
            clearTimeout(timer)
            done()
          }
        })
        wait = Math.min(wait * 2, FIRST_CONNECT_MAX_WAIT_MS)
      }
    })()
  })
  return {
    connection,
    get problem() {
      return problem
    },
    async stop() {
      stopped = true
      wake()
      await nc?.drain()
    },
  }
}

/** Waits until NATS is reached (connectNatsLater), for processes that have nothing to do without it. */
export async function connectNats(
  c: NatsClientConfig,
  name: string,
  log: Logger,
  o: Omit<NatsClientOptions, 'name'> = {},
): Promise<NatsConnection> {
  return (await connectNatsLater(c, name, log, o)).connection
}

function logStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'pingTimer') continue
      log.info({ nats: s.type, data: typeof s.data === 'string' ? s.data : undefined }, 'nats status')
    }
  })()
}
