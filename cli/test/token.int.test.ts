import { AUDIT_STREAM } from '@peregrine/common'
import type { TestNats } from '@peregrine/common/testing'
import { startTestApi, type TestApi } from '@peregrine/dashboard/testing'
import type { FastifyInstance } from 'fastify'
import type { NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from './run-cli.ts'

let api: TestApi
let nats: TestNats
let nc: NatsConnection
let app: FastifyInstance

const tokenCli = (args: string[]) => runCli(['token', 'create', ...args], nats.env('service'))

async function get(token: string, url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, body: res.json() }
}

beforeAll(async () => {
  // No admin token exists: every one was lost.
  api = await startTestApi({ admin: false })
  ;({ nats, nc, app } = api)
})

afterAll(() => api?.dispose())

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
