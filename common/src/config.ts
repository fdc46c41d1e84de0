import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { hostname } from 'node:os'
import * as z from './zod.ts'

/**
 * One setting: its schema (with default), the environment variable that overrides it, and what it
 * does. Schemas may be zod's or zod/mini's: the settings every process shares are written with
 * zod/mini, which a bundle can cut down to what it uses (the agent's, docs/agent.md).
 */
export interface Setting<S extends z.core.$ZodType = z.core.$ZodType> {
  env: string
  schema: S
  doc: string
}
export type SettingsDef = Record<string, Setting>
export type ConfigOf<D extends SettingsDef> = { [K in keyof D]: z.output<D[K]['schema']> }

export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function setting<S extends z.core.$ZodType>(env: string, schema: S, doc: string): Setting<S> {
  return { env, schema, doc }
}

/**
 * Builds a config from, in rising precedence: defaults, the section `section` of the YAML/JSON file
 * named by PEREGRINE_CONFIG, and environment variables. Every problem is reported at once, naming
 * the setting and its environment variable.
 */
export function loadConfig<D extends SettingsDef>(
  def: D,
  section: string,
  env: NodeJS.ProcessEnv = process.env,
): ConfigOf<D> {
  const fromFile = readSection(env.PEREGRINE_CONFIG, section)
  const raw: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(def)) {
    const value = env[s.env]
    raw[key] = value !== undefined && value !== '' ? value : fromFile[key]
  }
  const shape = Object.fromEntries(Object.entries(def).map(([k, s]) => [k, s.schema]))
  const parsed = z.safeParse(z.object(shape), raw)
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0])
      return `${key} (${def[key]?.env}): ${i.message}`
    })
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`)
  }
  return parsed.data as ConfigOf<D>
}

/**
 * The YAML parser, loaded only when a config file is given: most processes (every host's agent)
 * are configured by environment alone and need not hold it in memory. Synchronous, as loadConfig is.
 */
const yaml = (): typeof import('yaml') => createRequire(import.meta.url)('yaml')

function readSection(file: string | undefined, section: string): Record<string, unknown> {
  if (!file) return {}
  let doc: unknown
  try {
    doc = yaml().parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`)
  }
  const sections = z.safeParse(z.record(z.string(), z.record(z.string(), z.unknown())), doc ?? {})
  if (!sections.success) throw new ConfigError(`config file ${file}: expected a map of sections`)
  return { ...sections.data.common, ...sections.data[section] }
}

/** A Markdown table of the settings, for docs/operations.md. */
export function describeSettings(def: SettingsDef): string {
  const rows = Object.entries(def).map(([key, s]) => {
    const parsed = z.safeParse(s.schema, undefined)
    const dflt = parsed.success && parsed.data !== undefined ? `\`${JSON.stringify(parsed.data)}\`` : '—'
    return `| \`${key}\` | \`${s.env}\` | ${dflt} | ${s.doc} |`
  })
  return ['| setting | env | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n')
}

/** Numbers and booleans arrive as text from the environment. */
export const num = (dflt: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.nonnegative())), dflt)
export const posNum = (dflt: number) =>
  z._default(z.pipe(z.coerce.number(), z.int().check(z.positive())), dflt)
export const bool = (dflt: boolean) =>
  z._default(
    z.pipe(
      z.union([z.boolean(), z.enum(['true', 'false', '1', '0'])]),
      z.transform((v) => v === true || v === 'true' || v === '1'),
    ),
    dflt,
  )
/** A text setting and its default. */
export const text = (dflt: string) => z._default(z.string(), dflt)

/** Where a service run alone answers /healthz and /metrics: `<PREFIX>_OPS_HOST` and `_OPS_PORT`. */
export const opsSettings = (prefix: string, port: number) => ({
  opsHost: setting(
    `${prefix}_OPS_HOST`,
    z._default(z.string(), '127.0.0.1'),
    'Listen address of /healthz and /metrics.',
  ),
  opsPort: setting(
    `${prefix}_OPS_PORT`,
    num(port),
    'Port of /healthz and /metrics (0: none) when run alone.',
  ),
})

/**
 * The name of one instance of a service that runs several (judges, alarms): unique among the live
 * ones, since leases and claims name their owner. Empty: instanceName() makes one.
 */
export const instanceSetting = (variable: string, what: string) =>
  setting(
    variable,
    z._default(z.string().check(z.regex(/^[A-Za-z0-9_-]{0,64}$/, 'letters, digits, _ and -; up to 64')), ''),
    `Name of this ${what} among the live ones (unique); empty: <host>-<pid>.`,
  )

/** `configured`, or this host's name and process id. */
export function instanceName(configured: string): string {
  return (
    configured ||
    `${hostname()
      .replace(/[^A-Za-z0-9_-]/g, '_')
      .slice(0, 48)}-${process.pid}`
  )
}

/** Settings every Peregrine process shares. */
export const commonSettings = {
  natsUrl: setting('NATS_URL', text('nats://127.0.0.1:4222'), 'NATS server URL(s), comma-separated.'),
  natsUser: setting(
    'NATS_USER',
    text(''),
    'NATS user name (with natsPassword). Use one of user/password, natsNkeyFile, natsCredsFile.',
  ),
  natsPassword: setting('NATS_PASSWORD', text(''), 'Password of natsUser.'),
  natsNkeyFile: setting(
    'NATS_NKEY_FILE',
    text(''),
    'File holding the NKEY seed (SU…) to authenticate with; keep it mode 0600.',
  ),
  natsCredsFile: setting(
    'NATS_CREDS_FILE',
    text(''),
    'NATS credentials file (user JWT and seed, from nsc) to authenticate with; keep it mode 0600.',
  ),
  natsTlsCa: setting(
    'NATS_TLS_CA',
    text(''),
    'PEM file of the CA that signed the NATS server certificate; setting any NATS_TLS_* turns TLS on.',
  ),
  natsTlsCert: setting(
    'NATS_TLS_CERT',
    text(''),
    'PEM client certificate, for servers that verify clients (with natsTlsKey).',
  ),
  natsTlsKey: setting('NATS_TLS_KEY', text(''), 'PEM private key of natsTlsCert.'),
  logLevel: setting(
    'LOG_LEVEL',
    z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']), 'info'),
    'Log level.',
  ),
  dataDir: setting(
    'PEREGRINE_DATA',
    text('data'),
    'Folder for local state: embedded ClickHouse, nats-server (all-in-one), agent spool.',
  ),
  selfStep: setting(
    'SELF_METRICS_STEP',
    posNum(10),
    "Seconds between reports of the process's own metrics into Peregrine.",
  ),
} satisfies SettingsDef
export type CommonConfig = ConfigOf<typeof commonSettings>

/** Settings of processes that open ClickHouse. */
export const clickhouseSettings = {
  clickhouseUrl: setting(
    'CLICKHOUSE_URL',
    text(''),
    'ClickHouse server URL (http://user:pass@host:8123/db). Empty: the embedded engine (chdb) in dataDir.',
  ),
  retentionDays: setting('RETENTION_DAYS', posNum(30), 'Days raw points are kept.'),
  retention1mDays: setting('RETENTION_1M_DAYS', posNum(180), 'Days 1-minute rollups are kept.'),
  retention1hDays: setting('RETENTION_1H_DAYS', posNum(730), 'Days 1-hour rollups are kept.'),
} satisfies SettingsDef
export type ClickHouseConfig = ConfigOf<typeof clickhouseSettings>
