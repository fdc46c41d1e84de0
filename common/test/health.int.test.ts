import { readdir } from 'node:fs/promises'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { serviceHealth } from '../src/index.ts'
import { startTestNats, type TestNats, waitFor } from '../src/testing/index.ts'

let nats: TestNats
let nc: NatsConnection

/** nats-server names its ports file after its pid. */
async function serverPid(): Promise<number> {
  const file = (await readdir(nats.dataDir)).find((f) => f.endsWith('.ports'))
  return Number(/_(\d+)\.ports$/.exec(file ?? '')?.[1])
}

beforeAll(async () => {
  nats = await startTestNats()
  nc = await connect(nats.connectOptions('service'))
})

afterAll(async () => {
  await nc?.close()
  await nats?.dispose()
})

describe('serviceHealth', () => {
  it('turns unhealthy within seconds when NATS freezes, and healthy again when it thaws', async () => {
    const health = serviceHealth({ nc })
    expect(await health()).toMatchObject({ ok: true, detail: { nats: 'ok' } })
    const pid = await serverPid()
    process.kill(pid, 'SIGSTOP')
    // The stop takes effect a moment later; a probe sent at once may still be answered.
    await new Promise((r) => setTimeout(r, 200))
    try {
      const t0 = Date.now()
      const frozen = await health()
      expect(frozen.ok).toBe(false)
      expect(frozen.detail?.nats).toMatch(/no answer/)
      expect(Date.now() - t0).toBeLessThan(3000)
      // The connection still looks open: only a round trip tells.
      expect(nc.isClosed()).toBe(false)
    } finally {
      process.kill(pid, 'SIGCONT')
    }
    await waitFor(async () => (await health()).ok, 10_000, 'healthy again')
  })

  it('turns unhealthy while NATS is stopped, and healthy again when it is back', async () => {
    const health = serviceHealth({ nc })
    await nats.stop()
    try {
      expect(await health()).toMatchObject({ ok: false })
    } finally {
      await nats.restart()
    }
    await waitFor(async () => (await health()).ok, 15_000, 'healthy again')
  })

  it('reports failing inserts of a collector', async () => {
    const failing = { health: () => ({ ok: false, failingForMs: 21_000 }) }
    const h = await serviceHealth({ nc, collector: failing })()
    expect(h).toMatchObject({ ok: false, detail: { nats: 'ok', inserts: 'failing for 21 s' } })
  })
})
