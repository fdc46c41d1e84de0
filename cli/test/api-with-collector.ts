import { type Collector, loadCollectorConfig, startCollector } from '@peregrine/collector'
import { createLogger, createRegistry, type Registry } from '@peregrine/common'
import { seedTree, startTestApi, type TestApi } from '@peregrine/dashboard/testing'

/** A status and the JSON body, untyped like JSON.parse's: tests look into it freely. */
export type Answer = { status: number; body: ReturnType<typeof JSON.parse> }

/** The dashboard API with a collector on the same NATS and store: what is published gets read back. */
export interface ApiWithCollector {
  api: TestApi
  admin: string
  registry: Registry
  /** A token of `role` over `scope`, made by the admin. */
  token(role: string, scope: string): Promise<string>
  get(token: string, url: string): Promise<Answer>
  dispose(): Promise<void>
}

/**
 * Starts both on a tree `corp` > `corp.shop` > `corp.shop.web` and `corp.db`, with web-1 bound to
 * corp.shop.web and db-1 to corp.db.
 */
export async function startApiWithCollector(): Promise<ApiWithCollector> {
  const api = await startTestApi()
  const admin = api.admin!
  const registry = createRegistry()
  const log = createLogger('test', process.env.TEST_LOG ?? 'silent')
  let collector: Collector | undefined
  const inject = async (
    token: string,
    method: 'GET' | 'POST',
    url: string,
    payload?: object,
  ): Promise<Answer> => {
    const res = await api.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}` } })
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null }
  }
  try {
    collector = await startCollector(loadCollectorConfig({}), { nc: api.nc, store: api.store, log, registry })
    await seedTree(api.app, admin, ['corp', 'corp.shop', 'corp.shop.web', 'corp.db'], {
      'web-1': ['corp.shop.web'],
      'db-1': ['corp.db'],
    })
  } catch (err) {
    await collector?.stop()
    await api.dispose()
    throw err
  }
  return {
    api,
    admin,
    registry,
    async token(role, scope) {
      const r = await inject(admin, 'POST', '/api/v1/tokens', {
        name: `${role}@${scope || 'all'}`,
        role,
        scope,
      })
      if (r.status !== 201) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`)
      return r.body.token as string
    },
    get: (token, url) => inject(token, 'GET', url),
    async dispose() {
      await collector?.stop()
      await api.dispose()
    },
  }
}
