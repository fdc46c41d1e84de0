import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { uiRoutes } from '../src/ui.ts'

let dir: TempDir
let app: FastifyInstance

beforeAll(async () => {
  dir = await tempDir('peregrine-ui-dist-')
  await mkdir(join(dir.path, 'assets'))
  await writeFile(join(dir.path, 'index.html'), '<!doctype html><div id="root"></div>')
  await writeFile(join(dir.path, 'assets', 'index-abc123.js'), 'console.log(1)')
  await writeFile(join(dir.path, '..', 'secret.txt'), 'outside the UI folder')
  app = Fastify()
  app.get('/api/v1/real', async () => ({ ok: true }))
  await uiRoutes(app, dir.path)
})

afterAll(async () => {
  await app?.close()
  await dir?.remove()
})

const get = (url: string) => app.inject({ method: 'GET', url })

it('serves the app at / and at any client route, never cached, with strict security headers', async () => {
  for (const url of ['/', '/nodes/shop.web', '/hosts/web-1.example.com?from=now-6h', '/explore']) {
    const res = await get(url)
    expect(res.statusCode, url).toBe(200)
    expect(res.body).toContain('<div id="root">')
    expect(res.headers['cache-control']).toBe('no-cache')
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self';/)
    expect(res.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/)
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['referrer-policy']).toBe('no-referrer')
  }
})

it('caches hashed assets for good and answers a missing asset 404, not the app', async () => {
  const asset = await get('/assets/index-abc123.js')
  expect(asset.statusCode).toBe(200)
  expect(asset.headers['cache-control']).toMatch(/immutable/)
  expect(asset.headers['x-content-type-options']).toBe('nosniff')
  expect((await get('/assets/nope.js')).statusCode).toBe(404)
})

it('never answers the app for an API path, however spelt, and serves nothing outside its folder', async () => {
  for (const url of [
    '/api/v1/nope',
    '/API/v1/nope',
    '/api%2Fv1%2Fnope',
    '//api/v1/nope',
    '/x/../api/v1/nope',
    '/api\\v1',
  ]) {
    const res = await get(url)
    expect(res.statusCode, url).toBe(404)
    expect(res.body, url).not.toContain('<div id="root">')
  }
  expect((await get('/api/v1/real')).json()).toEqual({ ok: true })
  for (const url of [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
  ]) {
    const res = await get(url)
    expect(res.body, url).not.toContain('outside the UI folder')
  }
  expect((await app.inject({ method: 'POST', url: '/nodes/x' })).statusCode).toBe(404)
  // HEAD answers what GET would, without the body (link checkers and proxies ask so).
  const head = await app.inject({ method: 'HEAD', url: '/nodes/x' })
  expect(head.statusCode).toBe(200)
  expect(head.headers['content-security-policy']).toMatch(/script-src 'self'/)
})

it('says how to build the UI when it is not built', async () => {
  const bare = Fastify()
  await uiRoutes(bare, join(dir.path, 'missing'))
  const res = await bare.inject({ method: 'GET', url: '/' })
  expect(res.statusCode).toBe(503)
  expect(res.body).toMatch(/npm run build:ui/)
  await bare.close()
})
