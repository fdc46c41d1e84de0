import { connect } from 'nats'
import { afterEach, expect, it } from 'vitest'
import { METRICS_STREAM } from '../src/nats/names.ts'
import { type NatsServer, startNatsServer } from '../src/nats/server.ts'
import { sizeMetricsStream } from '../src/nats/space.ts'
import { defaultMetricsStream, ensureMetricsStream } from '../src/nats/streams.ts'
import { type TempDir, tempDir } from '../src/testing/index.ts'

let dir: TempDir | undefined
let server: NatsServer | undefined

afterEach(async () => {
  await server?.stop()
  await dir?.remove()
})

it('on a small volume the sized metrics stream fits where the fixed 4 GiB one is refused', async () => {
  const sized = sizeMetricsStream({
    free: 150 * 1024 ** 2,
    held: 0,
    max: defaultMetricsStream.maxBytes,
    dir: '',
  })
  dir = await tempDir('peregrine-space-')
  server = await startNatsServer({ dataDir: dir.path, maxFileStore: sized.maxFileStore })
  const nc = await connect({ servers: server.url })
  const jsm = await nc.jetstreamManager()
  await expect(ensureMetricsStream(jsm)).rejects.toThrow(/insufficient storage/)
  await ensureMetricsStream(jsm, { ...defaultMetricsStream, maxBytes: sized.streamMaxBytes })
  expect((await jsm.streams.info(METRICS_STREAM)).config.max_bytes).toBe(sized.streamMaxBytes)
  await nc.close()
})
