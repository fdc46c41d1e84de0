import { join } from 'node:path'
import { Store } from '@peregrine/common'
import { startTestNats, type TempDir, type TestNats, tempDir } from '@peregrine/common/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { runCli } from './run-cli.ts'

let dir: TempDir
let nats: TestNats
let store: Store

beforeAll(async () => {
  dir = await tempDir('peregrine-inuse-')
  nats = await startTestNats()
  // The collector's folder under PEREGRINE_DATA, held by this process.
  store = Store.open({ url: '', path: join(dir.path, 'clickhouse') })
  await store.query({ query: 'SELECT 1', params: {} })
})

afterAll(async () => {
  await store?.close()
  await nats?.dispose()
  await dir?.remove()
})

it('a second process on an embedded data folder in use exits with one line saying who uses it and what to do', async () => {
  const r = await runCli(['collector'], {
    ...nats.env('service'),
    PEREGRINE_DATA: dir.path,
    COLLECTOR_OPS_PORT: '0',
    LOG_LEVEL: 'warn',
  })
  expect(r.code).toBe(1)
  const lines = r.stderr.trim().split('\n')
  expect(lines, r.stderr).toHaveLength(1)
  expect(lines[0]).toContain(`in use by process ${process.pid}`)
  expect(lines[0]).toContain(join(dir.path, 'clickhouse'))
  expect(lines[0]).toContain('CLICKHOUSE_URL')
})
