// Static checks of docker-compose.yml and the Dockerfile. No Docker engine runs here, so the
// containers are never started; instead each Peregrine service's environment, taken from the
// compose file with its ${VAR:-default} defaults, is validated by `peregrine check-config`.
import { execFile } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { AGENT_NODE_FLAGS } from '@peregrine/agent/node-flags'
import { authorizationConfig, DEPLOY_NATS_USERS } from '@peregrine/common'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { settingsBySection } from '../src/config.ts'

const run = promisify(execFile)
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const read = (file: string) => readFileSync(join(root, file), 'utf8')

const Service = z.object({
  image: z.string().optional(),
  build: z
    .union([z.string(), z.object({ context: z.string(), dockerfile: z.string().optional() })])
    .optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  entrypoint: z.array(z.string()).optional(),
  environment: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  ports: z.array(z.unknown()).optional(),
  volumes: z.array(z.unknown()).optional(),
  depends_on: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
  healthcheck: z.object({ test: z.union([z.string(), z.array(z.string())]) }).optional(),
})
type Service = z.infer<typeof Service>
const Compose = z.object({ services: z.record(z.string(), Service) })

/**
 * Compose's variable substitution with the defaults only, as on a machine without an .env file:
 * ${VAR:-default} and ${VAR-default} give the default, $$ a dollar. A variable without a default
 * is an error: `docker compose up` must work as checked out.
 */
function interpolate(text: string): string {
  return text.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_]\w*)/g, (match, braced?: string, bare?: string) => {
    if (match === '$$') return '$'
    const m = braced === undefined ? null : /^([A-Za-z_]\w*)(:?-)(.*)$/s.exec(braced)
    if (!m)
      throw new Error(`${match}: a variable in docker-compose.yml needs a default (\${${bare ?? braced}:-…})`)
    return m[3] ?? ''
  })
}

/** The environment a service's container gets, interpolated. */
function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {}
  const entries = Array.isArray(env)
    ? env.map((line): [string, unknown] => {
        const eq = line.indexOf('=')
        return eq < 0 ? [line, ''] : [line.slice(0, eq), line.slice(eq + 1)]
      })
    : Object.entries(env)
  return Object.fromEntries(entries.map(([k, v]) => [k, interpolate(v == null ? '' : String(v))]))
}

/** Every environment variable of a Peregrine setting, in any section. */
const settingEnvNames = new Set(
  Object.values(settingsBySection).flatMap((section) => Object.values(section).map((s) => s.env)),
)

/** The names in a service's environment that no Peregrine setting reads (typos, stale names). */
function unknownEnvNames(service: Service, known: ReadonlySet<string> = settingEnvNames): string[] {
  return Object.keys(environmentOf(service)).filter((name) => !known.has(name))
}

/** "8080:8080", "127.0.0.1:1988:1988" → host and container port; anything else → undefined. */
function parsePort(entry: unknown): { host: number; container: number } | undefined {
  if (typeof entry !== 'string') return undefined
  const m = /^(?:(?:\d{1,3}\.){3}\d{1,3}:)?(\d+):(\d+)$/.exec(interpolate(entry))
  return m ? { host: Number(m[1]), container: Number(m[2]) } : undefined
}

/** A setting's default value. */
const defaultOf = <S extends z.core.$ZodType>(s: { schema: S }): z.output<S> => z.parse(s.schema, undefined)

const compose = Compose.parse(parseYaml(read('docker-compose.yml'), { merge: true }))
const services = Object.entries(compose.services)
/** The services that run this repository's image. */
const ours = services.filter(([, s]) => s.build !== undefined)
const commandOf = (s: Service) => (typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []))
const dockerfile = read('Dockerfile')

/** The CLI's commands, from its own help text. */
async function cliCommands(): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', '--help'], {
    cwd: root,
  })
  const lines = stdout.split('\n')
  const start = lines.findIndex((l) => l.trim() === 'Commands:')
  expect(start, 'a Commands: section in the help').toBeGreaterThanOrEqual(0)
  return lines
    .slice(start + 1)
    .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined)
}

/** Runs `peregrine check-config` with exactly this environment (and PATH), as the container would. */
async function checkConfig(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'cli/src/main.ts', 'check-config'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({
      code: err.code ?? 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    }),
  )
}

describe('docker-compose.yml', () => {
  it('runs the collector, the judge, the alarm, the dashboard and an agent from our image', () => {
    expect(ours.map(([name]) => name).sort()).toEqual(['agent', 'alarm', 'collector', 'dashboard', 'judge'])
  })

  it("starts each of our services with one of the CLI's service commands, the agent from its bundle", async () => {
    const commands = await cliCommands()
    expect(commands).toEqual(expect.arrayContaining(['agent', 'collector', 'dashboard', 'check-config']))
    for (const [name, s] of ours) {
      if (name === 'agent') {
        // As on a host: the bundle the image builds, with the agent's node flags.
        expect(s.entrypoint).toEqual(['node', ...AGENT_NODE_FLAGS, 'agent/dist/peregrine-agent.mjs'])
        expect(s.command).toBeUndefined()
        expect(dockerfile).toMatch(/^RUN node agent\/build\.mjs$/m)
        continue
      }
      const first = commandOf(s)[0]
      expect(commands, `${name}: command ${JSON.stringify(s.command)}`).toContain(first)
      // `all` starts a nats-server child, and the image has no nats-server binary.
      expect(first, `${name}: the all-in-one mode does not run in the image`).not.toBe('all')
    }
  })

  it('sets only environment variables that are Peregrine settings', () => {
    expect(settingEnvNames).toContain('NATS_URL')
    expect(settingEnvNames).toContain('DASHBOARD_HOST')
    for (const [name, s] of ours) expect(unknownEnvNames(s), `${name}: unknown variables`).toEqual([])
  })

  it('would report a misspelt setting name', () => {
    const typo: Service = { build: '.', environment: { NATS_UR: 'nats://nats:4222', LOG_LEVEL: 'info' } }
    expect(unknownEnvNames(typo)).toEqual(['NATS_UR'])
    expect(unknownEnvNames({ environment: ['DASHBOARD_PORT=8080', 'DASHBORD_HOST=0.0.0.0'] })).toEqual([
      'DASHBORD_HOST',
    ])
  })

  it('interpolates like compose and insists on defaults', () => {
    const ref = (inner: string) => `\${${inner}}`
    expect(interpolate(`http://u:${ref('PW:-secret')}@h/${ref('DB-db')}`)).toBe('http://u:secret@h/db')
    expect(interpolate(`${ref('EMPTY:-')}$$HOME`)).toBe('$HOME')
    expect(() => interpolate(ref('NO_DEFAULT'))).toThrow(/needs a default/)
    expect(() => interpolate('$BARE')).toThrow(/needs a default/)
    expect(() => interpolate(ref('REQUIRED:?set it'))).toThrow(/needs a default/)
  })

  it('depends only on services it defines', () => {
    const names = new Set(services.map(([name]) => name))
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {})
      for (const dep of deps) expect(names, `${name} depends on ${dep}`).toContain(dep)
    }
  })

  it('builds from contexts that have a Dockerfile', () => {
    for (const [name, s] of ours) {
      const build = typeof s.build === 'string' ? { context: s.build } : s.build!
      const file = join(root, build.context, build.dockerfile ?? 'Dockerfile')
      expect(existsSync(file), `${name}: ${file}`).toBe(true)
    }
  })

  it('bind-mounts only files that exist in the repository', () => {
    for (const [name, s] of services)
      for (const v of s.volumes ?? []) {
        if (typeof v !== 'string' || !v.startsWith('./')) continue
        const source = v.split(':')[0]!
        expect(existsSync(join(root, source)), `${name}: ${v}`).toBe(true)
      }
  })

  it('publishes ports as "[ip:]host:container" strings, the dashboard on its DASHBOARD_PORT', () => {
    for (const [name, s] of services)
      for (const p of s.ports ?? []) expect(parsePort(p), `${name}: port ${JSON.stringify(p)}`).toBeDefined()
    expect(parsePort(8080)).toBeUndefined()
    expect(parsePort('8080')).toBeUndefined()

    const dashboardPort = defaultOf(settingsBySection.dashboard.port)
    expect(dashboardPort).toBe(8080)
    const published = (compose.services.dashboard?.ports ?? []).map(parsePort)
    expect(published.map((p) => p?.container)).toEqual([dashboardPort])
    expect(environmentOf(compose.services.dashboard!).DASHBOARD_PORT).toBeUndefined()
  })

  it("probes each of our services' health on the port it listens on", () => {
    const ports: Record<string, number> = {
      agent: defaultOf(settingsBySection.agent.httpPort),
      collector: defaultOf(settingsBySection.collector.opsPort),
      judge: defaultOf(settingsBySection.judge.opsPort),
      alarm: defaultOf(settingsBySection.alarm.opsPort),
      dashboard: defaultOf(settingsBySection.dashboard.port),
    }
    for (const [name, s] of ours) {
      const test = [s.healthcheck?.test ?? []].flat().join(' ')
      expect(test, name).toContain(`http://127.0.0.1:${ports[name]}/healthz`)
    }
  })

  it.each(ours.map(([name]) => name))('gives %s an environment that check-config accepts', async (name) => {
    const env = environmentOf(compose.services[name]!)
    const r = await checkConfig(env)
    expect(r.code, r.stderr).toBe(0)
    // The settings arrived: the check prints the loaded configuration.
    const config = z
      .object({
        agent: z.object({ httpHost: z.string(), procPath: z.string(), sysPath: z.string() }),
        collector: z.object({ opsHost: z.string(), clickhouseUrl: z.string() }),
        dashboard: z.object({ host: z.string(), clickhouseUrl: z.string() }),
      })
      .parse(JSON.parse(r.stdout))
    if (name === 'agent') expect(config.agent).toMatchObject({ httpHost: '0.0.0.0', procPath: '/host/proc' })
    if (name === 'collector')
      expect(config.collector).toMatchObject({ opsHost: '0.0.0.0', clickhouseUrl: '[set]' })
    if (name === 'dashboard')
      expect(config.dashboard).toMatchObject({ host: '0.0.0.0', clickhouseUrl: '[set]' })
  })

  it("authenticates each of our services to NATS as its role's user in deploy/nats.conf", () => {
    const natsEnv = environmentOf(compose.services.nats!)
    const passwordVariable = new Map(
      DEPLOY_NATS_USERS.flatMap((u) =>
        'user' in u && typeof u.password === 'object' ? [[u.user, u.password.env] as const] : [],
      ),
    )
    expect([...passwordVariable.keys()].sort()).toEqual(['agent', 'service'])
    for (const [name, s] of ours) {
      const env = environmentOf(s)
      expect(env.NATS_USER, name).toBe(name === 'agent' ? 'agent' : 'service')
      const variable = passwordVariable.get(env.NATS_USER!)!
      expect(env.NATS_PASSWORD, `${name}: the password nats-server has in ${variable}`).toBe(
        natsEnv[variable],
      )
      expect(env.NATS_PASSWORD, name).not.toBe('')
    }
  })

  it('gives nats-server the authorization block Peregrine generates, and its store a volume', () => {
    const conf = read('deploy/nats.conf')
    expect(conf).toContain(authorizationConfig(DEPLOY_NATS_USERS))
    const storeDir = /store_dir:\s*"([^"]+)"/.exec(conf)?.[1]
    expect(storeDir).toBeDefined()
    expect(compose.services.nats?.volumes).toContain(`nats-data:${storeDir}`)
  })

  it('check-config hides the NATS password and rejects half a credential', async () => {
    const r = await checkConfig({ NATS_USER: 'service', NATS_PASSWORD: 'very-secret' })
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).not.toContain('very-secret')
    expect(JSON.parse(r.stdout).collector).toMatchObject({ natsUser: 'service', natsPassword: '[set]' })
    const half = await checkConfig({ NATS_USER: 'service' })
    expect(half.code).toBe(1)
    expect(half.stderr).toContain('NATS_PASSWORD')
  })

  it('check-config rejects a broken environment (so the test above can fail)', async () => {
    const r = await checkConfig({ DASHBOARD_PORT: 'eighty' })
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('DASHBOARD_PORT')
  })
})

describe('Dockerfile', () => {
  it('runs an entrypoint file that exists and is not left out of the build context', () => {
    const m = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile)
    expect(m, 'an exec-form ENTRYPOINT').not.toBeNull()
    const argv = z.array(z.string()).parse(JSON.parse(m![1]!))
    const scripts = argv.filter((a) => /\.(ts|js|mjs)$/.test(a))
    expect(scripts).toEqual(['cli/src/main.ts'])
    const script = scripts[0]!
    expect(existsSync(join(root, script))).toBe(true)
    const ignored = read('.dockerignore')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#') && !l.startsWith('!'))
    for (const pattern of ignored) expect(script === pattern || script.startsWith(`${pattern}/`)).toBe(false)
  })

  it('installs without devDependencies, so the runtime needs must be dependencies', () => {
    expect(dockerfile).toMatch(/npm ci --omit=dev/)
    const pkg = z
      .object({ dependencies: z.record(z.string(), z.string()), workspaces: z.array(z.string()) })
      .parse(JSON.parse(read('package.json')))
    // ENTRYPOINT runs `node --import tsx`.
    expect(Object.keys(pkg.dependencies)).toContain('tsx')
    // npm ci links every workspace: each package.json is copied before it.
    for (const ws of pkg.workspaces) expect(dockerfile).toContain(`COPY ${ws}/package.json ${ws}/`)
  })

  it('builds the web UI in a stage of its own and ships only the built files', () => {
    expect(dockerfile).toMatch(/^FROM \S+ AS ui$/m)
    expect(dockerfile).toMatch(/^RUN node scripts\/ui-build\.mjs$/m)
    expect(dockerfile).toMatch(/^COPY --from=ui \/app\/dashboard\/ui\/dist dashboard\/ui\/dist$/m)
  })

  it("exposes the services' default ports", () => {
    const exposed = /^EXPOSE\s+(.+)$/m
      .exec(dockerfile)?.[1]
      ?.split(/\s+/)
      .map(Number)
      .sort((a, b) => a - b)
    const ports = [
      defaultOf(settingsBySection.dashboard.port),
      defaultOf(settingsBySection.agent.httpPort),
      defaultOf(settingsBySection.collector.opsPort),
    ].sort((a, b) => a - b)
    expect(exposed).toEqual(ports)
  })
})
