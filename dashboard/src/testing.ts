import { createLogger, createRegistry, type Registry, type Store } from '@peregrine/common'
import { openTestStore, startTestNats, type TempDir, type TestNats, tempDir } from '@peregrine/common/testing'
import type { FastifyInstance } from 'fastify'
import { connect, type NatsConnection } from 'nats'
import { ensureAdminToken } from './auth.ts'
import { openConfigApi } from './config/context.ts'
import { buildServer } from './server.ts'

/** A dashboard API on a real nats-server and embedded ClickHouse, for one test file. */
export interface TestApi {
  nats: TestNats
  nc: NatsConnection
  store: Store
  app: FastifyInstance
  /** The first admin token; null when the file asked for none. */
  admin: string | null
  /** The base URL, when listening on a port. */
  url: string | null
  dispose(): Promise<void>
}

export interface TestApiOptions {
  /** Create the first admin token (default true). */
  admin?: boolean
  /** Listen on a loopback port, for tests that send real requests (default false: inject only). */
  listen?: boolean
  /** What /metrics shows. */
  registries?: Registry[]
  /** Runs on the store before the server starts. */
  seed?: (store: Store) => Promise<void>
}

export async function startTestApi(o: TestApiOptions = {}): Promise<TestApi> {
  const nats = await startTestNats()
  const dir: TempDir = await tempDir()
  const nc = await connect(nats.connectOptions('service'))
  const store = await openTestStore(dir.path)
  await o.seed?.(store)
  const configApi = await openConfigApi(nc, store)
  const admin = o.admin === false ? null : await ensureAdminToken(configApi.config, '')
  const app = await buildServer({
    store,
    log: createLogger('test', process.env.TEST_LOG ?? 'silent'),
    registries: o.registries ?? [createRegistry()],
    health: async () => ({ ok: true }),
    retention: { rawDays: 30, rollup1mDays: 180 },
    configApi,
  })
  const url = o.listen ? await app.listen({ host: '127.0.0.1', port: 0 }) : null
  return {
    nats,
    nc,
    store,
    app,
    admin,
    url,
    async dispose() {
      await app.close()
      await nc.close()
      await store.close()
      await nats.dispose()
      await dir.remove()
    },
  }
}

/**
 * Creates tree nodes (list parents first) and binds hosts to them through the API, as `token`;
 * throws unless every call succeeds. For test files that need a tree with hosts on it.
 */
export async function seedTree(
  app: FastifyInstance,
  token: string,
  paths: readonly string[],
  hosts: Record<string, string[]>,
): Promise<void> {
  const call = async (method: 'POST' | 'PUT', url: string, payload: object, expected: number) => {
    const headers = { authorization: `Bearer ${token}` }
    const res = await app.inject({ method, url, headers, payload })
    if (res.statusCode !== expected) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  }
  for (const path of paths) await call('POST', '/api/v1/tree', { path }, 201)
  for (const [host, nodes] of Object.entries(hosts))
    await call('PUT', `/api/v1/hosts/${host}/nodes`, { nodes, revision: 0 }, 200)
}

export type Json = Record<string, unknown> & { [k: string]: unknown }

/**
 * Calls the API of `app()` in process (inject) as a token (null: none): the status and the parsed
 * body. `as(token)` gives get/post/put/del for one token; `tokenFor(role, scope)` makes a token
 * named `<role>-<scope or all>` as the `admin()` token.
 */
export function apiCaller(app: () => FastifyInstance, admin: () => string | null = () => null) {
  const call = async (token: string | null, method: string, url: string, body?: unknown) => {
    const res = await app().inject({
      method: method as 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
      ...(body === undefined ? {} : { payload: body as Json }),
    })
    return { status: res.statusCode, body: (res.body ? JSON.parse(res.body) : null) as Json }
  }
  const as = (token: string) => ({
    get: (url: string) => call(token, 'GET', url),
    post: (url: string, body: unknown) => call(token, 'POST', url, body),
    put: (url: string, body: unknown) => call(token, 'PUT', url, body),
    del: (url: string) => call(token, 'DELETE', url),
  })
  const tokenFor = async (role: string, scope = ''): Promise<string> => {
    const body = { name: `${role}-${scope || 'all'}`, role, scope }
    const r = await call(admin(), 'POST', '/api/v1/tokens', body)
    if (r.status !== 201) throw new Error(`token ${body.name}: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body.token as string
  }
  return { call, as, tokenFor }
}

/**
 * Records `METHOD /route status` of every answer `app` gives from now on, so a test file can
 * check that the OpenAPI document lists each status its routes answered.
 */
export function recordAnswers(app: FastifyInstance) {
  const answered = new Set<string>()
  app.addHook('onResponse', async (req, reply) => {
    if (req.routeOptions.url) answered.add(`${req.method} ${req.routeOptions.url} ${reply.statusCode}`)
  })
  return {
    /** Of the answers `mine` picks (`METHOD /path/{param} status`), all and those not documented. */
    async check(mine: (answer: string) => boolean): Promise<{ answered: string[]; undocumented: string[] }> {
      const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>
      }
      const documented = new Set(
        Object.entries(doc.paths).flatMap(([path, ops]) =>
          Object.entries(ops).flatMap(([method, op]) =>
            Object.keys(op.responses).map((code) => `${method.toUpperCase()} ${path} ${code}`),
          ),
        ),
      )
      const picked = [...answered].map((a) => a.replace(/:(\w+)/g, '{$1}')).filter(mine)
      return { answered: picked, undocumented: picked.filter((a) => !documented.has(a)) }
    },
  }
}
