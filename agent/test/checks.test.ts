import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type AgentChecks,
  type CounterType,
  deriveAgentChecks,
  type Effective,
  noAgentChecks,
  Strategy,
  type Tags,
} from '@peregrine/common'
import { describe, expect, it } from 'vitest'
import { ListenScanner, listeningPorts, PortSource } from '../src/sources/ports.ts'
import { cmdlineText, matchesProcess, ProcessCountSource } from '../src/sources/processes.ts'
import type { MetricSource } from '../src/sources/source.ts'
import { readText } from '../src/sources/util.ts'

const PROC = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'checks', 'proc')
const paths = { proc: PROC, sys: '/nonexistent' }

interface Sample {
  metric: string
  value: number
  type: CounterType
  tags: Tags
}

async function collect(source: MetricSource): Promise<Sample[]> {
  const out: Sample[] = []
  await source.collect((metric, value, type, tags) => out.push({ metric, value, type, tags: { ...tags } }))
  return out
}

let nextId = 0
function effective(spec: { metric: string; tags?: string; enabled?: boolean }, node = 'n1'): Effective {
  const strategy = Strategy.parse({
    id: `s${++nextId}`,
    node,
    name: `s${nextId}`,
    fn: 'all',
    window: '#3',
    threshold: 0,
    ...spec,
  })
  return { strategy, node }
}

const checks =
  (c: Partial<AgentChecks>): (() => AgentChecks) =>
  () => ({ ports: [], processes: [], ...c })

describe('deriveAgentChecks', () => {
  it('collects ports and processes of enabled strategies, deduplicated and sorted', () => {
    const got = deriveAgentChecks([
      effective({ metric: 'net.port.listen', tags: 'port=8080' }),
      effective({ metric: 'net.port.listen', tags: 'port=22' }),
      effective({ metric: 'net.port.listen', tags: 'port=8080' }, 'n2'), // the same port from another node
      effective({ metric: 'net.port.listen', tags: 'port=443,proto=tcp' }), // other tags do not matter
      effective({ metric: 'net.port.listen', tags: 'port=9999', enabled: false }),
      effective({ metric: 'proc.num', tags: 'name=nginx' }),
      effective({ metric: 'proc.num', tags: 'cmdline=/opt/app/billing.jar,name=java' }),
      effective({ metric: 'proc.num', tags: 'cmdline=search.jar' }),
      effective({ metric: 'proc.num', tags: 'name=nginx' }, 'n2'),
      effective({ metric: 'proc.num', tags: 'name=java' }),
      effective({ metric: 'proc.num', tags: 'name=sshd', enabled: false }),
      effective({ metric: 'cpu.idle' }),
      effective({ metric: 'net.if.in.bytes', tags: 'port=80' }),
    ])
    expect(got).toEqual({
      ports: [22, 443, 8080],
      processes: [
        { cmdline: 'search.jar' },
        { name: 'java' },
        { name: 'java', cmdline: '/opt/app/billing.jar' },
        { name: 'nginx' },
      ],
    })
  })

  it('skips strategies that name no valid port or process', () => {
    const got = deriveAgentChecks([
      effective({ metric: 'net.port.listen' }),
      effective({ metric: 'net.port.listen', tags: 'port=0' }),
      effective({ metric: 'net.port.listen', tags: 'port=65536' }),
      effective({ metric: 'net.port.listen', tags: 'port=http' }),
      effective({ metric: 'net.port.listen', tags: 'port=-1' }),
      effective({ metric: 'net.port.listen', tags: 'port=' }),
      effective({ metric: 'proc.num' }),
      effective({ metric: 'proc.num', tags: 'name=' }),
      effective({ metric: 'proc.num', tags: 'user=root' }),
    ])
    expect(got).toEqual({ ports: [], processes: [] })
    expect(noAgentChecks(got)).toBe(true)
    expect(deriveAgentChecks([effective({ metric: 'net.port.listen', tags: 'port=65535' })])).toEqual({
      ports: [65_535],
      processes: [],
    })
  })
})

describe('listening ports', () => {
  it('reads the local ports of LISTEN sockets of /proc/net/tcp and tcp6', async () => {
    expect([...listeningPorts((await readText(join(PROC, 'net/tcp')))!)].sort((a, b) => a - b)).toEqual([
      22, 8080,
    ])
    // The last line of this file has no newline.
    expect([...listeningPorts((await readText(join(PROC, 'net/tcp6')))!)].sort((a, b) => a - b)).toEqual([
      3306, 9090,
    ])
  })

  it('gives the same ports whatever the chunks the file comes in', async () => {
    const text = Buffer.from((await readText(join(PROC, 'net/tcp')))!, 'latin1')
    for (const size of [1, 2, 7, 64, 150, 151]) {
      const s = new ListenScanner()
      for (let i = 0; i < text.length; i += size) s.feed(text.subarray(i, i + size))
      s.end()
      expect(
        [...s.ports].sort((a, b) => a - b),
        `chunks of ${size}`,
      ).toEqual([22, 8080])
    }
  })

  it('skips the title and malformed lines', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue',
      '   0: 00000000:0016 00000000:0000 0A 00000000:00000000',
      '   1: 00000000:0017 00000000:0000 0AB 00000000:00000000', // st is two digits
      '   2: 00000000:00G8 00000000:0000 0A 00000000:00000000', // not hex
      '   3: 00000000 00000000:0000 0A 00000000:00000000', // no port
      '   4: 00000000:0019',
      '',
      '   5: 00000000:001A 00000000:0000 0a',
    ].join('\n')
    expect([...listeningPorts(text)]).toEqual([22, 26])
  })

  it('sends net.port.listen 1 or 0 for each port to check, IPv4 and IPv6 together', async () => {
    const source = new PortSource(paths, checks({ ports: [22, 25, 80, 443, 3306, 8080, 9090, 9091] }), {
      chunkSize: 100,
    })
    const got = await collect(source)
    expect(got).toEqual(
      [
        [22, 1],
        [25, 0], // CLOSE
        [80, 0], // TIME_WAIT
        [443, 0], // ESTABLISHED
        [3306, 1], // tcp6
        [8080, 1],
        [9090, 1], // tcp6, its last line
        [9091, 0], // tcp6 ESTABLISHED
      ].map(([port, value]) => ({
        metric: 'net.port.listen',
        value,
        type: 'GAUGE',
        tags: { port: String(port) },
      })),
    )
  })

  it('sends nothing without ports to check or without tables to read', async () => {
    expect(await collect(new PortSource(paths, checks({ processes: [{ name: 'nginx' }] })))).toEqual([])
    const missing = { proc: join(PROC, 'missing'), sys: '' }
    expect(await collect(new PortSource(missing, checks({ ports: [22] })))).toEqual([])
  })

  it('follows the checks from one collect to the next', async () => {
    let current: AgentChecks = { ports: [22], processes: [] }
    const source = new PortSource(paths, () => current)
    expect((await collect(source)).map((s) => s.tags.port)).toEqual(['22'])
    current = { ports: [8080, 9999], processes: [] }
    expect((await collect(source)).map((s) => [s.tags.port, s.value])).toEqual([
      ['8080', 1],
      ['9999', 0],
    ])
  })
})

describe('process counts', () => {
  it('joins the NUL-separated arguments of cmdline with spaces', () => {
    expect(cmdlineText('/usr/bin/java\0-jar\0app.jar\0')).toBe('/usr/bin/java -jar app.jar')
    expect(cmdlineText('nginx: worker process\0\0\0')).toBe('nginx: worker process')
    expect(cmdlineText('')).toBe('')
  })

  it('matches a name exactly and a command line by substring, both when both are given', () => {
    const p = { comm: 'java', cmdline: '/usr/bin/java -jar /opt/app/billing.jar' }
    expect(matchesProcess({ name: 'java' }, p)).toBe(true)
    expect(matchesProcess({ name: 'jav' }, p)).toBe(false)
    expect(matchesProcess({ cmdline: 'billing.jar' }, p)).toBe(true)
    expect(matchesProcess({ name: 'java', cmdline: 'billing.jar' }, p)).toBe(true)
    expect(matchesProcess({ name: 'java', cmdline: 'search.jar' }, p)).toBe(false)
    expect(matchesProcess({ name: 'node', cmdline: 'billing.jar' }, p)).toBe(false)
    expect(matchesProcess({}, p)).toBe(false)
  })

  it('counts the processes of /proc/<pid>/comm and cmdline per check', async () => {
    const processes = [
      { name: 'nginx' },
      { cmdline: 'worker process' },
      { name: 'java' },
      { name: 'java', cmdline: 'billing.jar' },
      { name: 'java', cmdline: 'inventory.jar' },
      { cmdline: '/srv/api/server.js --port 8080' }, // across arguments
      { cmdline: 'init splash' },
      { name: 'kthreadd' }, // a kernel thread: empty cmdline
      { name: 'agent' }, // /proc/self is not a pid
      { name: 'postgres' },
    ]
    const got = await collect(new ProcessCountSource(paths, checks({ processes }), { concurrency: 3 }))
    expect(got).toEqual(
      [
        [{ name: 'nginx' }, 3],
        [{ cmdline: 'worker process' }, 2],
        [{ name: 'java' }, 2],
        [{ name: 'java', cmdline: 'billing.jar' }, 1],
        [{ name: 'java', cmdline: 'inventory.jar' }, 0],
        [{ cmdline: '/srv/api/server.js --port 8080' }, 1],
        [{ cmdline: 'init splash' }, 1],
        [{ name: 'kthreadd' }, 1],
        [{ name: 'agent' }, 0],
        [{ name: 'postgres' }, 0],
      ].map(([tags, value]) => ({ metric: 'proc.num', value, type: 'GAUGE', tags })),
    )
  })

  it('reads only the files the checks need, and nothing without process checks', async () => {
    const read: string[] = []
    const spy = (p: string) => {
      read.push(p.slice(PROC.length + 1))
      return readText(p)
    }
    await collect(new ProcessCountSource(paths, checks({ ports: [22] }), { read: spy }))
    expect(read).toEqual([])

    await collect(new ProcessCountSource(paths, checks({ processes: [{ name: 'nginx' }] }), { read: spy }))
    expect(read.length).toBeGreaterThan(0)
    expect(read.every((p) => /^\d+\/comm$/.test(p))).toBe(true)

    read.length = 0
    await collect(new ProcessCountSource(paths, checks({ processes: [{ cmdline: 'nginx' }] }), { read: spy }))
    expect(read.every((p) => /^\d+\/cmdline$/.test(p))).toBe(true)
    expect(read.sort()).toEqual(
      ['1', '2', '310', '311', '312', '4000', '4100', '5000', '6000'].map((pid) => `${pid}/cmdline`).sort(),
    )
  })

  it('sends nothing when the process list cannot be read', async () => {
    const missing = { proc: join(PROC, 'missing'), sys: '' }
    expect(await collect(new ProcessCountSource(missing, checks({ processes: [{ name: 'x' }] })))).toEqual([])
  })

  it('counts the processes of this host', async () => {
    const host = { proc: '/proc', sys: '/sys' }
    const got = await collect(
      new ProcessCountSource(host, checks({ processes: [{ cmdline: process.argv[1] ?? 'node' }] })),
    )
    expect(got).toHaveLength(1)
    expect(got[0]!.value).toBeGreaterThanOrEqual(1)
  })
})
