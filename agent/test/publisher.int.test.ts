import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import {
  BatchBuilder,
  createLogger,
  encodeBatch,
  ensureMetricsStream,
  METRICS_STREAM,
  MetricBatchReader,
  metricsSubject,
} from '@peregrine/common'
import { startTestNats, type TempDir, type TestNats, tempDir, waitFor } from '@peregrine/common/testing'
import { connect, type NatsConnection } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NotStoredError, Publisher } from '../src/publisher.ts'
import { Spool } from '../src/spool.ts'

const HOST = 'pub-test'
let nats: TestNats
let service: NatsConnection
let agentNc: NatsConnection
let dir: TempDir
const log = createLogger('agent', 'silent')

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  service = await connect(nats.connectOptions('service'))
  await ensureMetricsStream(await service.jetstreamManager())
  agentNc = await connect(nats.connectOptions('agent'))
  dir = await tempDir('publisher-')
})

afterAll(async () => {
  await agentNc?.close()
  await service?.close()
  await nats?.dispose()
  await dir?.remove()
})

/** A batch of one point whose value tells the batches apart. */
function oneBatch(value: number) {
  const b = new BatchBuilder({ host: HOST, agent: 'test' })
  b.add({ endpoint: HOST, metric: 'm', tags: '', counterType: 'GAUGE', step: 10 }, 1_700_000_000, value)
  return b.take()
}

async function storedValues(): Promise<number[]> {
  const jsm = await service.jetstreamManager()
  const { state } = await jsm.streams.info(METRICS_STREAM)
  const out: number[] = []
  // The spool seeded here holds v1 batches; what the publisher stores itself is v2.
  const reader = new MetricBatchReader(service)
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(METRICS_STREAM, { seq })
    const d = await reader.read(m.data, m.subject)
    if (d.ok) out.push(...(d.batch.values as number[]))
  }
  return out
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

describe('publisher', () => {
  it('drops a spooled batch that fails for good or vanished, counts it, and sends the ones behind it', async () => {
    const spoolDir = join(dir.path, 'spool')
    const seeding = await Spool.open(spoolDir, 64 * 1024 * 1024)
    await seeding.append(id(1), encodeBatch(oneBatch(1)), 1)
    // Over the server's max_payload (8 MiB): no retry can ever send it.
    await seeding.append(id(2), Buffer.alloc(9 * 1024 * 1024, 32), 7)
    await seeding.append(id(3), encodeBatch(oneBatch(3)), 1)
    await seeding.append(id(4), encodeBatch(oneBatch(4)), 5)
    await seeding.append(id(5), encodeBatch(oneBatch(5)), 1)

    const spool = await Spool.open(spoolDir, 64 * 1024 * 1024)
    // Deleted underneath the running agent (by an operator, a cleanup job): must not stop it.
    await rm(join(spoolDir, `000000000004_5_${id(4)}.batch`))
    const publisher = new Publisher(metricsSubject(HOST), spool, log)
    try {
      publisher.attach(agentNc)
      await waitFor(() => spool.size === 0, 20_000, 'the spool to drain')
      expect(await storedValues()).toEqual([1, 3, 5])
      expect(publisher.dropped).toEqual({ refused: 7, unreadable: 5 })
      await publisher.store(oneBatch(6))
      expect((await storedValues()).at(-1)).toBe(6)
    } finally {
      await publisher.settle()
      publisher.close()
    }
  })

  it('reports a batch JetStream refuses as not stored, and drops such a batch from the spool', async () => {
    // The agent credential may publish only to its own host's subject.
    const spoolDir = join(dir.path, 'spool-refused')
    const seeding = await Spool.open(spoolDir, 1024 * 1024)
    await seeding.append(id(1), encodeBatch(oneBatch(1)), 3)
    const spool = await Spool.open(spoolDir, 1024 * 1024)
    const publisher = new Publisher(metricsSubject('another-host'), spool, log)
    try {
      publisher.attach(agentNc)
      await waitFor(() => spool.size === 0, 20_000, 'the refused batch to be dropped')
      expect(publisher.dropped.refused).toBe(3)
      const err = await publisher.store(oneBatch(2)).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(NotStoredError)
      expect((err as NotStoredError).message).toMatch(/NATS refused the batch: .*Permissions Violation/)
      expect(publisher.problem?.code).toBe('refused')
    } finally {
      await publisher.settle()
      publisher.close()
    }
  })
})
