import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { nkeys } from 'nats'
import { AGENT_CHECKS_PREFIX, AGENTS_BUCKET, keyToken } from './kv.ts'
import { METRICS_SUBJECT_PREFIX, metricsSubject, subjectToken } from './names.ts'
import { seriesDefinitionsSubjects } from './series-bucket.ts'
import { type NatsServer, type NatsServerOptions, startNatsServer } from './server.ts'

/**
 * Who a NATS credential belongs to. `service`: collector, dashboard, judge, alarm and operator
 * commands, which read and write configuration and streams. `agent`: a host's agent, which only
 * publishes its metrics and reads its checks.
 */
export type NatsRole = 'service' | 'agent'

/** A user of the server's authorization block; `host` narrows an agent credential to one host. */
export type NatsUser = { role: NatsRole; host?: string } & (
  | { nkey: string }
  /** A password given as `{ env }` is read by nats-server from its environment at start. */
  | { user: string; password: string | { env: string } }
)

export interface NatsPermissions {
  publish: { allow: string[] }
  subscribe: { allow: string[] }
}

/** nats exports nkeys.js untyped. */
interface KeyPair {
  getPublicKey(): string
  getSeed(): Uint8Array
}
const keys = nkeys as { createUser(): KeyPair; fromSeed(seed: Uint8Array): KeyPair }

const AGENT_INBOX_PREFIX = '_INBOX_agent'
const AGENTS_STREAM = `KV_${AGENTS_BUCKET}`

/**
 * The inbox prefix of an agent's connection: replies to it (publish acks, its checks watch) are
 * the only messages it may subscribe to, and a prefix per host keeps it out of other agents' replies.
 */
export function agentInboxPrefix(host: string): string {
  return `${AGENT_INBOX_PREFIX}.${subjectToken(host)}`
}

/**
 * What a role may do; undefined is everything (services need their streams, KV buckets and
 * consumers, and the JetStream API to create them). An agent bound to a host may publish only
 * that host's metrics, write only that host's series dictionaries and read only its checks key;
 * an unbound agent credential (one shared by many hosts) may do so for any host.
 */
export function rolePermissions(role: NatsRole, host?: string): NatsPermissions | undefined {
  if (role === 'service') return undefined
  const checks = `$KV.${AGENTS_BUCKET}.${AGENT_CHECKS_PREFIX}.${host === undefined ? '>' : keyToken(host)}`
  const api = '$JS.API'
  return {
    publish: {
      allow: [
        // Core publishes without an ack are allowed too: the stream stores them all the same.
        host === undefined ? `${METRICS_SUBJECT_PREFIX}.>` : metricsSubject(host),
        // kv.put of its series dictionaries (a put is a publish acked by the bucket's stream).
        seriesDefinitionsSubjects(host),
        // kv.get of the checks key (direct get names the key in the subject, so it can be limited).
        `${api}.DIRECT.GET.${AGENTS_STREAM}.${checks}`,
      ],
    },
    // Changes of the checks key arrive on its subject: no consumer is needed, and none may be
    // created (a consumer's delivery subject is in the request body, beyond any permission).
    subscribe: { allow: [`${host === undefined ? AGENT_INBOX_PREFIX : agentInboxPrefix(host)}.>`, checks] },
  }
}

/** nats-server's `authorization` block for these users; anyone else is refused. */
export function authorizationConfig(users: readonly NatsUser[]): string {
  const blocks = users.map((u) => {
    const fields = 'nkey' in u ? [`nkey: ${quote(u.nkey)}`] : [`user: ${quote(u.user)}`, `password: ${pw(u)}`]
    const permissions = rolePermissions(u.role, u.host)
    if (permissions) fields.push(`permissions: ${JSON.stringify(permissions, null, 2)}`)
    return [
      '{',
      ...fields
        .join('\n')
        .split('\n')
        .map((l) => `  ${l}`),
      '}',
    ]
  })
  const indented = blocks.flat().map((l) => `    ${l}`)
  return ['authorization {', '  users = [', ...indented, '  ]', '}'].join('\n')
}

const quote = (s: string) => JSON.stringify(s)
function pw(u: { password: string | { env: string } }): string {
  if (typeof u.password === 'string') return quote(u.password)
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(u.password.env)) throw new Error(`bad variable name ${u.password.env}`)
  return `$${u.password.env}`
}

/** The users of docker-compose.yml and deploy/nats.conf: one password per role, from the environment. */
export const DEPLOY_NATS_USERS: readonly NatsUser[] = [
  { role: 'service', user: 'service', password: { env: 'NATS_SERVICE_PASSWORD' } },
  { role: 'agent', user: 'agent', password: { env: 'NATS_AGENT_PASSWORD' } },
]

/** One role's nkey: the seed file a client authenticates with, and the public key the server knows. */
export interface NkeyCredential {
  seedFile: string
  publicKey: string
}

/**
 * The nkey seed in `file`, created (mode 0600) when missing, so that a restart keeps the
 * credentials an operator has handed out.
 */
export async function ensureNkeySeed(file: string): Promise<NkeyCredential> {
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  const pair = existing ? keys.fromSeed(new TextEncoder().encode(existing.trim())) : keys.createUser()
  if (!existing)
    await writeFile(file, `${new TextDecoder().decode(pair.getSeed())}\n`, { mode: 0o600, flag: 'wx' })
  // A file copied in with looser bits is a seed others can read.
  await chmod(file, 0o600)
  return { seedFile: file, publicKey: pair.getPublicKey() }
}

/** The all-in-one's credentials: one for its services, one for agents of `agentHost`. */
export interface AllInOneCredentials {
  service: NkeyCredential
  agent: NkeyCredential
  users: NatsUser[]
}

export async function ensureAllInOneCredentials(
  dir: string,
  agentHost: string,
): Promise<AllInOneCredentials> {
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
  const service = await ensureNkeySeed(join(dir, 'service.nk'))
  const agent = await ensureNkeySeed(join(dir, 'agent.nk'))
  return {
    service,
    agent,
    users: [
      { role: 'service', nkey: service.publicKey },
      { role: 'agent', host: agentHost, nkey: agent.publicKey },
    ],
  }
}

/** The all-in-one's nats-server folder (config, store, credentials) in its data folder. */
export const allInOneNatsDir = (dataDir: string) => join(dataDir, 'nats')
/** The service key of an all-in-one: operator commands on that machine connect with it. */
export const allInOneServiceKey = (dataDir: string) =>
  join(allInOneNatsDir(dataDir), 'credentials', 'service.nk')

export interface AuthorizedNatsServer extends NatsServer {
  credentials: AllInOneCredentials
}

/**
 * nats-server with authorization on: the credentials in `<dataDir>/credentials` (created on the
 * first start, reused after) are the only ones it accepts.
 */
export async function startAuthorizedNatsServer(
  o: Omit<NatsServerOptions, 'authorization'> & { agentHost: string },
): Promise<AuthorizedNatsServer> {
  const credentials = await ensureAllInOneCredentials(join(o.dataDir, 'credentials'), o.agentHost)
  const server = await startNatsServer({ ...o, authorization: authorizationConfig(credentials.users) })
  return { ...server, credentials }
}
