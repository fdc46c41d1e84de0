// Exactly-once claims against the real KV: one taker wins, a given-back claim can be taken again,
// a dead sender's claim is taken over once stale, a finished one never.
import { startTestNats, type TestNats } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { Claims } from '../src/claims.ts'

let nats: TestNats
let nc: NatsConnection

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect(nats.connectOptions('service'))
})

afterAll(async () => {
  await nc?.close()
  await nats?.dispose()
})

const open = (owner: string, staleMs = 60_000) => Claims.open(nc, { owner, staleMs, keepMs: 3_600_000 })

it('lets one instance take a notification, and another only what was given back or left stale', async () => {
  const a = await open('a')
  const b = await open('b')
  expect(await a.take('n1')).toBe(true)
  expect(await b.take('n1')).toBe(false)
  await a.release('n1')
  expect(await b.take('n1')).toBe(true)
  await b.done('n1')
  expect(await a.take('n1')).toBe(false)

  expect(await a.take('n2')).toBe(true) // a dies mid-send
  const c = await open('c', 200)
  expect(await c.take('n2')).toBe(false)
  await new Promise((r) => setTimeout(r, 300))
  expect(await c.take('n2')).toBe(true)
  const d = await open('d', 200)
  await c.done('n2')
  await new Promise((r) => setTimeout(r, 300))
  expect(await d.take('n2')).toBe(false) // done is never stale
})
