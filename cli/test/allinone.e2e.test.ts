import { once } from 'node:events'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { type TempDir, tempDir, waitFor } from '@peregrine/common/testing'
import { connect } from 'nats'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type AllInOne, startAllInOne } from './allinone.ts'
import { runCli, runCommand } from './run-cli.ts'

let dir: TempDir
let child: AllInOne['child']
let logs: AllInOne['logs']
let logged: AllInOne['logged']

beforeAll(async () => {
  dir = await tempDir('peregrine-e2e-')
  ;({ child, logs, logged } = startAllInOne(dir.path))
})

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL')
  await dir?.remove()
})

it('runs all-in-one: a pushed point and this host’s cpu.idle come back from the API, and Ctrl-C stops it cleanly', async () => {
  const api = String((await logged('dashboard listening')).url)
  // Printed once on first start, outside the structured logs.
  const token = String(
    (await waitFor(() => logs.find((l) => String(l.msg).includes('admin token')), 10_000, 'admin token')).msg,
  ).split(': ')[1]
  const auth = { headers: { authorization: `Bearer ${token}` } }
  expect((await fetch(`${api}/api/v1/endpoints`)).status, 'no token').toBe(401)
  const agentPort = Number((await logged('agent started')).port)

  const ts = Math.floor(Date.now() / 1000)
  const push = await fetch(`http://127.0.0.1:${agentPort}/v1/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([
      {
        endpoint: 'e2e-app',
        metric: 'app.requests',
        timestamp: ts,
        step: 10,
        value: 1234.5,
        counterType: 'GAUGE',
        tags: 'svc=web',
      },
    ]),
  })
  expect(push.status).toBe(200)

  const history = await waitFor(
    async () => {
      const r = await fetch(
        `${api}/api/v1/history?endpoint=e2e-app&metric=app.requests&from=${ts - 600}&to=${ts + 60}`,
        auth,
      )
      const body = (await r.json()) as { series: { tags: string; timestamps: number[]; values: number[] }[] }
      return body.series[0]?.values.length ? body : null
    },
    60_000,
    'the pushed point',
  )
  expect(history.series[0]).toMatchObject({ tags: 'svc=web', timestamps: [ts - (ts % 10)], values: [1234.5] })

  const cpu = await waitFor(
    async () => {
      const r = await fetch(`${api}/api/v1/last?endpoint=e2e-host&metric=cpu.idle`, auth)
      const body = (await r.json()) as { series: { tags: string; value: number | null }[] }
      return body.series.find((s) => s.tags === '' && s.value !== null)
    },
    60_000,
    "this host's cpu.idle",
  )
  expect(cpu.value).toBeGreaterThanOrEqual(0)
  expect(cpu.value).toBeLessThanOrEqual(100)

  const endpointsRes = await fetch(`${api}/api/v1/endpoints`, auth)
  const endpoints = (await endpointsRes.json()) as { endpoints: { endpoint: string }[] }
  expect(endpointsRes.status, JSON.stringify(endpoints)).toBe(200)
  expect(endpoints.endpoints.map((e) => e.endpoint)).toEqual(expect.arrayContaining(['e2e-app', 'e2e-host']))
  expect((await fetch(`${api}/healthz`)).status).toBe(200)
  // The agent keeps its metrics without prom-client; the process's registry shows them all the same.
  const exposition = await (await fetch(`${api}/metrics`)).text()
  expect(exposition).toMatch(/^peregrine_agent_push_accepted_total [1-9]/m)
  expect(exposition).toMatch(/^peregrine_agent_dropped_points\{reason="refused"\} 0$/m)

  // NATS takes only the credentials it generated, kept where only this user can read them.
  const nats = await logged('nats-server started')
  await expect(connect({ servers: String(nats.url) })).rejects.toThrow(/authorization/i)
  const natsDir = join(dir.path, 'nats')
  for (const file of ['nats-server.conf', 'credentials/service.nk', 'credentials/agent.nk'])
    expect((await stat(join(natsDir, file))).mode & 0o777, file).toBe(0o600)
  expect(nats.agentCredential).toBe(join(natsDir, 'credentials', 'agent.nk'))

  // A configuration change is audited: published by the API, persisted by the collector.
  const created = await fetch(`${api}/api/v1/tree`, {
    method: 'POST',
    headers: { ...auth.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ path: 'e2e', note: 'end to end' }),
  })
  expect(created.status).toBe(201)
  const audit = await waitFor(
    async () => {
      const r = await fetch(`${api}/api/v1/audit?kind=tree&id=e2e`, auth)
      const body = (await r.json()) as {
        records: { action: string; actor: string; after: { note: string } }[]
      }
      return body.records[0]
    },
    30_000,
    'the audit record',
  )
  expect(audit).toMatchObject({
    action: 'create',
    actor: expect.stringContaining('admin'),
    after: { note: 'end to end' },
  })

  // A strategy fires: created through the API, judged from the stream, stored and listed.
  const strategy = await fetch(`${api}/api/v1/strategies`, {
    method: 'POST',
    headers: { ...auth.headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      node: null,
      name: 'e2e-requests-high',
      metric: 'app.requests',
      tags: 'svc=web',
      fn: 'all',
      window: '#1',
      operator: '>',
      threshold: 1000,
    }),
  })
  expect(strategy.status, await strategy.clone().text()).toBe(201)
  const firing = await waitFor(
    async () => {
      const again = await fetch(`http://127.0.0.1:${agentPort}/v1/push`, {
        method: 'POST',
        body: JSON.stringify([
          {
            endpoint: 'e2e-app',
            metric: 'app.requests',
            timestamp: 0,
            step: 10,
            value: 2000,
            counterType: 'GAUGE',
            tags: 'svc=web',
          },
        ]),
      })
      expect(again.status).toBe(200)
      const r = await fetch(`${api}/api/v1/events/firing?host=e2e-app`, auth)
      const body = (await r.json()) as {
        events: { status: string; value: number; strategy: { name: string } }[]
      }
      return body.events[0]
    },
    60_000,
    'the event',
  )
  expect(firing).toMatchObject({ status: 'PROBLEM', value: 2000, strategy: { name: 'e2e-requests-high' } })

  // `npx peregrine` from the checkout, redirected as the docs show it: nothing but the YAML on stdout.
  const cli = { PEREGRINE_API: api, PEREGRINE_TOKEN: token }
  const viaNpx = await runCommand('npx', ['peregrine', 'export'], cli)
  expect(viaNpx.code, viaNpx.stderr).toBe(0)
  expect(parse(viaNpx.stdout)).toMatchObject({
    tree: expect.arrayContaining([{ path: 'e2e', note: 'end to end' }]),
  })
  expect(viaNpx.stdout).toBe((await runCli(['export'], cli)).stdout)

  child.kill('SIGINT')
  const [code] = await once(child, 'exit')
  expect(code).toBe(0)
  expect(logs.some((l) => l.msg === 'stopped')).toBe(true)
}, 120_000)
