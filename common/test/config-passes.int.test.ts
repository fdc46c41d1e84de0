// Configuration passes against a real nats-server: a change to a collection the caller names in
// `also` asks for a pass like a change of the tree, a strategy or a host does (the alarm reads
// users, teams and silences; a silence made while it runs must reach it).
import { connect } from 'nats'
import { expect, it } from 'vitest'
import { ConfigStore, createLogger, startConfigPasses } from '../src/index.ts'
import { startTestNats, waitFor } from '../src/testing/index.ts'

it('runs a pass after each change to a collection named in also', async () => {
  const nats = await startTestNats()
  const nc = await connect(nats.connectOptions('service'))
  const config = await ConfigStore.open(nc)
  let passes = 0
  const running = await startConfigPasses(
    config,
    createLogger('test', 'silent'),
    { what: 'test', nc, debounceMs: 50, also: [config.silences] },
    async () => {
      passes++
    },
  )
  try {
    expect(passes).toBe(1)
    const now = Math.floor(Date.now() / 1000)
    await config.silences.create('s1', {
      id: 's1',
      match: { hosts: ['web-1'] },
      schedule: { kind: 'once', from: now, to: now + 60 },
      reason: 'test',
      createdBy: 'test',
      createdAt: now,
    })
    await waitFor(() => passes === 2, 5000, 'the pass after the silence')
    await config.silences.delete('s1')
    await waitFor(() => passes === 3, 5000, 'the pass after the deletion')
  } finally {
    await running.stop()
    await nc.close()
    await nats.dispose()
  }
})
