// What each NATS credential may do, against the real nats-server with the authorization the
// all-in-one generates: an agent publishes its metrics and reads its checks, and nothing else.
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { AckPolicy, connect, type NatsConnection, nkeyAuthenticator } from 'nats'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  AGENTS_BUCKET,
  AUDIT_SUBJECT,
  agentChecksKey,
  agentChecksSubject,
  agentInboxPrefix,
  authorizationConfig,
  BatchBuilder,
  CONFIG_BUCKET,
  ConfigStore,
  commonSettings,
  connectNats,
  createLogger,
  encodeBatch,
  ensureAuditStream,
  ensureMetricsStream,
  ensureNkeySeed,
  loadConfig,
  METRICS_STREAM,
  metricsSubject,
  natsConnectionOptions,
  openAgentChecks,
  SERIES_BUCKET,
  seriesDefinitionSource,
  seriesDefinitionsKey,
  seriesDefinitionsWriter,
  startNatsServer,
  subjectToken,
} from '../src/index.ts'
import { startTestNats, type TestNats, tempDir } from '../src/testing/index.ts'

const HOST = 'perm-host'
let nats: TestNats
let service: NatsConnection
let agent: NatsConnection

beforeAll(async () => {
  nats = await startTestNats({ agentHost: HOST })
  service = await connect(nats.connectOptions('service'))
  await ensureMetricsStream(await service.jetstreamManager())
  await ensureAuditStream(await service.jetstreamManager())
  const store = await ConfigStore.open(service)
  await store.agentChecks.create(HOST, { ports: [22], processes: [] })
  await store.agentChecks.create('other-host', { ports: [5432], processes: [] })
  agent = await connect(nats.connectOptions('agent'))
})

afterAll(async () => {
  await agent?.close()
  await service?.close()
  await nats?.dispose()
})

const PERMISSION = /permission/i
const batch = (host: string) => {
  const b = new BatchBuilder({ host, agent: 'test' })
  b.add({ endpoint: host, metric: 'cpu.idle', tags: '', counterType: 'GAUGE', step: 10 }, 1_800_000_000, 42)
  return encodeBatch(b.take())
}

/** A subscription the server refuses ends its iterator with the permission error. */
async function subscribeError(nc: NatsConnection, subject: string): Promise<unknown> {
  const sub = nc.subscribe(subject)
  try {
    for await (const _ of sub) return 'received a message'
    return 'ended without an error'
  } catch (err) {
    return err
  }
}

describe('agent credential', () => {
  it("publishes a batch to its host's metrics subject and gets the stream's ack", async () => {
    const ack = await agent.jetstream().publish(metricsSubject(HOST), batch(HOST))
    expect(ack).toMatchObject({ stream: METRICS_STREAM, duplicate: false })
    expect(ack.seq).toBeGreaterThan(0)
  })

  it('reads its own checks and follows their changes on their subject, without a consumer', async () => {
    const { kv, key, subject } = await openAgentChecks(agent, HOST)
    expect((await kv.get(key))?.json()).toEqual({ ports: [22], processes: [] })
    const sub = agent.subscribe(subject, { max: 1 })
    await agent.flush()
    const store = await ConfigStore.open(service)
    const current = (await store.agentChecks.get(HOST))!
    await store.agentChecks.update(HOST, { ports: [22, 80], processes: [] }, current.revision)
    for await (const m of sub) expect(m.json()).toEqual({ ports: [22, 80], processes: [] })
    expect(sub.getProcessed()).toBe(1)
  })

  it('cannot create a consumer on the agents bucket, which could deliver into any subject', async () => {
    const jsm = await agent.jetstreamManager({ checkAPI: false })
    const stream = `KV_${AGENTS_BUCKET}`
    await expect(
      jsm.consumers.add(stream, { deliver_subject: AUDIT_SUBJECT, ack_policy: AckPolicy.None }),
    ).rejects.toThrow(PERMISSION)
    await expect(
      jsm.consumers.add(stream, {
        name: 'sneaky',
        filter_subject: `$KV.${AGENTS_BUCKET}.>`,
        deliver_subject: 'peregrine.audit',
        ack_policy: AckPolicy.None,
      }),
    ).rejects.toThrow(PERMISSION)
    const js = agent.jetstream({ checkAPI: false })
    const kv = await js.views.kv(AGENTS_BUCKET, { bindOnly: true, allow_direct: true })
    await expect(kv.watch({ key: agentChecksKey(HOST) })).rejects.toThrow(PERMISSION)
  })

  it("cannot follow another host's checks", async () => {
    const other = agentChecksSubject(agentChecksKey('other-host'))
    expect(String(await subscribeError(agent, other))).toMatch(PERMISSION)
  })

  it("cannot publish as another host, read another host's checks or create the agents bucket", async () => {
    await expect(
      agent.jetstream().publish(metricsSubject('other-host'), batch('other-host')),
    ).rejects.toThrow(PERMISSION)
    const { kv } = await openAgentChecks(agent, HOST)
    await expect(kv.get(agentChecksKey('other-host'))).rejects.toThrow(PERMISSION)
    await expect(agent.jetstream().views.kv(AGENTS_BUCKET)).rejects.toThrow(PERMISSION)
  })

  it("writes its own host's series dictionaries, and cannot write another host's nor read any", async () => {
    const key = `${HOST}\tcpu.idle\t\tGAUGE\t10`
    await seriesDefinitionsWriter(agent, metricsSubject(HOST))(42, 0, [key])
    const byService = seriesDefinitionSource(service)
    expect(await byService.load(metricsSubject(HOST), 42, 0)).toEqual([key])
    // Another host's dictionary would let it rename that host's series in every receiver.
    await expect(
      seriesDefinitionsWriter(agent, metricsSubject('other-host'))(42, 0, [
        'other-host\tforged\t\tGAUGE\t10',
      ]),
    ).rejects.toThrow(PERMISSION)
    expect(await byService.load(metricsSubject('other-host'), 42, 0)).toBeNull()
    const js = agent.jetstream({ checkAPI: false })
    const kv = await js.views.kv(SERIES_BUCKET, { bindOnly: true, allow_direct: true })
    await expect(kv.get(seriesDefinitionsKey(subjectToken(HOST), 42, 0))).rejects.toThrow(PERMISSION)
    await expect(kv.delete(seriesDefinitionsKey(subjectToken('other-host'), 42, 0))).rejects.toThrow(
      PERMISSION,
    )
    await expect(agent.jetstream().views.kv(SERIES_BUCKET)).rejects.toThrow(PERMISSION)
  })

  it('cannot read or write the configuration bucket (no forged admin token)', async () => {
    const js = agent.jetstream({ checkAPI: false })
    await expect(js.views.kv(CONFIG_BUCKET)).rejects.toThrow(PERMISSION)
    const config = await js.views.kv(CONFIG_BUCKET, { bindOnly: true, allow_direct: true })
    await expect(config.put('token.forged', JSON.stringify({ role: 'admin' }))).rejects.toThrow(PERMISSION)
    await expect(config.get('token.forged')).rejects.toThrow(PERMISSION)
    const byService = await (await service.jetstream().views.kv(CONFIG_BUCKET)).get('token.forged')
    expect(byService).toBeNull()
  })

  it('cannot publish audit records', async () => {
    await expect(agent.jetstream().publish(AUDIT_SUBJECT, Buffer.from('{}'))).rejects.toThrow(PERMISSION)
  })

  it('cannot consume the metrics stream or manage streams', async () => {
    const jsm = await agent.jetstreamManager({ checkAPI: false })
    await expect(
      jsm.consumers.add(METRICS_STREAM, { durable_name: 'thief', ack_policy: AckPolicy.Explicit }),
    ).rejects.toThrow(PERMISSION)
    await expect(jsm.streams.delete(METRICS_STREAM)).rejects.toThrow(PERMISSION)
    await expect(jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] })).rejects.toThrow(PERMISSION)
    await expect(jsm.streams.info(METRICS_STREAM)).rejects.toThrow(PERMISSION)
    await expect(
      service.jetstreamManager().then((m) => m.streams.info(METRICS_STREAM)),
    ).resolves.toBeDefined()
  })

  it("cannot subscribe to metrics, to the default inbox or to another host's inbox", async () => {
    for (const subject of ['peregrine.metrics.>', '_INBOX.>', `${agentInboxPrefix('other-host')}.>`, '>'])
      expect(String(await subscribeError(agent, subject)), subject).toMatch(PERMISSION)
  })

  it('cannot get replies on the default inbox prefix', async () => {
    const nc = await connect({ ...nats.connectOptions('agent'), inboxPrefix: undefined })
    try {
      await expect(
        nc.jetstream().publish(metricsSubject(HOST), batch(HOST), { timeout: 2000 }),
      ).rejects.toThrow()
    } finally {
      await nc.close()
    }
  })
})

describe('authentication', () => {
  it('refuses a client without credentials, or with a key it does not know', async () => {
    await expect(connect({ servers: nats.url })).rejects.toThrow(/authorization/i)
    const dir = await tempDir()
    const stranger = await ensureNkeySeed(join(dir.path, 'stranger.nk'))
    const seed = new TextEncoder().encode((await readFile(stranger.seedFile, 'utf8')).trim())
    await expect(connect({ servers: nats.url, authenticator: nkeyAuthenticator(seed) })).rejects.toThrow(
      /authorization/i,
    )
    await dir.remove()
  })

  it('keeps the generated credentials in files only their owner can read, and reuses them', async () => {
    const dir = join(nats.dataDir, 'credentials')
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    for (const file of [
      join(dir, 'service.nk'),
      join(dir, 'agent.nk'),
      join(nats.dataDir, 'nats-server.conf'),
    ])
      expect((await stat(file)).mode & 0o777, file).toBe(0o600)
    await nats.stop()
    await nats.restart()
    const again = await connect(nats.connectOptions('agent'))
    await expect(again.jetstream().publish(metricsSubject(HOST), batch(HOST))).resolves.toBeDefined()
    await again.close()
  })
})

describe('distributed settings', () => {
  it('connects a password user with the permissions of its role', async () => {
    const dir = await tempDir()
    const server = await startNatsServer({
      dataDir: dir.path,
      authorization: authorizationConfig([
        { role: 'service', user: 'svc', password: 'svc-secret' },
        { role: 'agent', user: 'agt', password: 'agt-secret' },
      ]),
    })
    const settings = (env: Record<string, string>) =>
      loadConfig(commonSettings, 'test', { NATS_URL: server.url, ...env })
    const log = createLogger('test', 'silent')
    try {
      const svc = await connectNats(settings({ NATS_USER: 'svc', NATS_PASSWORD: 'svc-secret' }), 'svc', log)
      await ensureMetricsStream(await svc.jetstreamManager())
      const agt = await connectNats(settings({ NATS_USER: 'agt', NATS_PASSWORD: 'agt-secret' }), 'agt', log, {
        inboxPrefix: agentInboxPrefix('any-host'),
      })
      await expect(
        agt.jetstream().publish(metricsSubject('any-host'), batch('any-host')),
      ).resolves.toBeDefined()
      await expect(agt.jetstream().publish(AUDIT_SUBJECT, Buffer.from('{}'))).rejects.toThrow(PERMISSION)
      await agt.close()
      await svc.close()
      await expect(
        natsConnectionOptions(settings({ NATS_USER: 'svc', NATS_NKEY_FILE: '/nonexistent' })),
      ).rejects.toThrow(/only one of/)
    } finally {
      await server.stop()
      await dir.remove()
    }
  })
})
