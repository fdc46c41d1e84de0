import { AUDIT_STREAM, createLogger, createRegistry, type Store } from '@peregrine/common'
import { openTestStore, startTestNats, type TempDir, type TestNats, tempDir } from '@peregrine/common/testing'
import { buildServer, openConfigApi } from '@peregrine/dashboard'
import type { FastifyInstance } from 'fastify'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.ts'

let nats: TestNats
let dir: TempDir
let nc: NatsConnection
let store: Store
let app: FastifyInstance

const tokenCli = (args: string[]) => runCli(['token', 'create', ...args], nats.env('service'))

async function get(token: string, url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, body: res.json() }
}

beforeAll(async () => {
  nats = await startTestNats()
  dir = await tempDir()
  nc = await connect(nats.connectOptions('service'))
  store = await openTestStore(dir.path)
  // No admin token exists: every one was lost.
  app = await buildServer({
    store,
    log: createLogger('test', 'silent'),
    registries: [createRegistry()],
    health: async () => ({ ok: true }),
    retention: { rawDays: 30, rollup1mDays: 180 },
    configApi: await openConfigApi(nc, store),
  })
})

afterAll(async () => {
  await app?.close()
  await nc?.close()
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

describe('peregrine token create', () => {
  it('makes an admin token from NATS access alone, prints it once and audits it', async () => {
    const jsm = await nc.jetstreamManager()
    const { code, stdout, stderr } = await tokenCli(['--name', 'rescue'])
    expect(code, stderr).toBe(0)
    const token = stdout.trim()
    expect(token).toMatch(/^pgt_[0-9a-f]{12}_[0-9a-f]{64}$/)
    const tokens = await get(token, '/api/v1/tokens')
    expect(tokens.status).toBe(200)
    expect(tokens.body.tokens).toEqual([
      expect.objectContaining({ name: 'rescue', role: 'admin', scope: '' }),
    ])
    const info = await jsm.streams.info(AUDIT_STREAM)
    const last = await jsm.streams.getMessage(AUDIT_STREAM, { seq: info.state.last_seq })
    expect(last.json()).toMatchObject({
      actor: 'operator',
      actorId: 'peregrine token create',
      kind: 'token',
      action: 'create',
    })
    expect(last.string()).not.toContain(token.split('_')[2])
  })

  it('makes a scoped token of a given role, and refuses a scope that does not exist', async () => {
    const admin = (await tokenCli(['--name', 'rescue-2'])).stdout.trim()
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/tree',
      headers: { authorization: `Bearer ${admin}` },
      payload: { path: 'shop' },
    })
    expect(created.statusCode).toBe(201)
    const ok = await tokenCli(['--name', 'shop-viewer', '--role', 'viewer', '--scope', 'shop'])
    expect(ok.code, ok.stderr).toBe(0)
    const viewer = ok.stdout.trim()
    expect((await get(viewer, '/api/v1/tree')).status).toBe(200)
    expect((await get(viewer, '/api/v1/tokens')).status).toBe(403)
    const missing = await tokenCli(['--name', 'x', '--scope', 'nowhere'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no tree node nowhere')
    const badRole = await tokenCli(['--name', 'x', '--role', 'root'])
    expect(badRole.code).toBe(1)
    expect(badRole.stderr).toMatch(/role/)
  })
})
