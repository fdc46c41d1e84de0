import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { CounterType, Tags } from '@peregrine/common'
import { afterAll, describe, expect, it } from 'vitest'
import { CpuSource } from '../src/sources/cpu.ts'
import { DiskSource } from '../src/sources/disk.ts'
import { FilesystemSource, type FsStats } from '../src/sources/filesystem.ts'
import { hostSources } from '../src/sources/index.ts'
import { LoadSource } from '../src/sources/load.ts'
import { MemorySource } from '../src/sources/memory.ts'
import { NetworkSource } from '../src/sources/network.ts'
import { ProcessSource } from '../src/sources/process.ts'
import type { HostPaths, MetricSource } from '../src/sources/source.ts'
import { TcpSource } from '../src/sources/tcp.ts'
import { SharedReads } from '../src/sources/util.ts'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
const PROC1 = join(FIXTURES, 'proc1')
const PROC2 = join(FIXTURES, 'proc2')
const SYS = join(FIXTURES, 'sys')
const MISSING = join(FIXTURES, 'does-not-exist')

interface Sample {
  metric: string
  value: number
  type: CounterType
  tags: Tags
}

async function collect(source: MetricSource): Promise<Sample[]> {
  const out: Sample[] = []
  await source.collect((metric, value, type, tags) => out.push({ metric, value, type, tags: tags ?? {} }))
  return out
}

function sameTags(a: Tags, b: Tags): boolean {
  const ka = Object.keys(a)
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k])
}

/** The one sample of metric with exactly these tags. */
function one(samples: Sample[], metric: string, tags: Tags = {}): Sample {
  const found = samples.filter((s) => s.metric === metric && sameTags(s.tags, tags))
  expect(found, `${metric} ${JSON.stringify(tags)}`).toHaveLength(1)
  return found[0]!
}

function value(samples: Sample[], metric: string, tags: Tags = {}): number {
  return one(samples, metric, tags).value
}

/** metric → value for the samples with these tags. */
function byMetric(samples: Sample[], tags: Tags = {}): Record<string, number> {
  const out: Record<string, number> = {}
  for (const s of samples) if (sameTags(s.tags, tags)) out[s.metric] = s.value
  return out
}

function typesOf(samples: Sample[]): Record<string, CounterType> {
  const out: Record<string, CounterType> = {}
  for (const s of samples) out[s.metric] = s.type
  return out
}

function expectAllFinite(samples: Sample[]): void {
  for (const s of samples)
    expect(Number.isFinite(s.value), `${s.metric} ${JSON.stringify(s.tags)}`).toBe(true)
}

/** A clock the test moves by hand. */
function clock(start = 1_000): { now: () => number; advance: (ms: number) => void } {
  let t = start
  return { now: () => t, advance: (ms) => (t += ms) }
}

const temps: string[] = []
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true })
})

/** A proc folder with just these files. */
async function procWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'peregrine-sources-'))
  temps.push(dir)
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true })
    await writeFile(join(dir, name), text)
  }
  return dir
}

describe('CpuSource', () => {
  it('emits only cpu.switches on the first reading', async () => {
    const samples = await collect(new CpuSource({ proc: PROC1, sys: SYS }))
    expect(samples).toEqual([{ metric: 'cpu.switches', value: 893228, type: 'COUNTER', tags: {} }])
  })

  it('computes the shares of the interval, for all CPUs and per core', async () => {
    const paths: HostPaths = { proc: PROC1, sys: SYS }
    const cpu = new CpuSource(paths)
    await collect(cpu)
    paths.proc = PROC2
    const samples = await collect(cpu)
    expectAllFinite(samples)

    expect(byMetric(samples)).toEqual({
      'cpu.idle': 75,
      'cpu.busy': 25,
      'cpu.user': 15,
      'cpu.nice': 0.5,
      'cpu.system': 5,
      'cpu.iowait': 2,
      'cpu.irq': 0,
      'cpu.softirq': 1.5,
      'cpu.steal': 1,
      'cpu.guest': 0.35,
      'cpu.switches': 903228,
    })
    expect(byMetric(samples, { core: '0' })).toEqual({
      'cpu.idle': 82,
      'cpu.busy': 18,
      'cpu.user': 10,
      'cpu.nice': 1,
      'cpu.system': 5,
      'cpu.iowait': 1,
      'cpu.irq': 0,
      'cpu.softirq': 0.7,
      'cpu.steal': 0.3,
      'cpu.guest': 0,
    })
    expect(value(samples, 'cpu.idle', { core: '1' })).toBe(68)
    expect(value(samples, 'cpu.busy', { core: '1' })).toBe(32)
    expect(value(samples, 'cpu.softirq', { core: '1' })).toBe(2.3)
    expect(value(samples, 'cpu.guest', { core: '1' })).toBe(0.7)
    expect(samples.filter((s) => s.tags.core !== undefined)).toHaveLength(20)

    const types = typesOf(samples)
    expect(types['cpu.idle']).toBe('GAUGE')
    expect(types['cpu.switches']).toBe('COUNTER')
  })

  it('rounds to two decimals and skips an interval without ticks', async () => {
    const p1 = await procWith({ stat: 'cpu  100 0 100 100 0 0 0 0 0 0\nctxt 5\n' })
    const p2 = await procWith({ stat: 'cpu  101 0 101 101 0 0 0 0 0 0\nctxt 6\n' })
    const paths: HostPaths = { proc: p1, sys: SYS }
    const cpu = new CpuSource(paths)
    await collect(cpu)
    paths.proc = p2
    const samples = await collect(cpu)
    expect(value(samples, 'cpu.idle')).toBe(33.33)
    expect(value(samples, 'cpu.busy')).toBe(66.67)
    expect(value(samples, 'cpu.user')).toBe(33.33)
    // Same file again: no tick passed, so no shares (and no NaN).
    const again = await collect(cpu)
    expect(again.map((s) => s.metric)).toEqual(['cpu.switches'])
  })
})

describe('MemorySource', () => {
  it('reports bytes and percentages with MemAvailable as free memory', async () => {
    const samples = await collect(new MemorySource({ proc: PROC1, sys: SYS }))
    expect(byMetric(samples)).toEqual({
      'mem.memtotal': 24684084 * 1024,
      'mem.memfree': 24041144 * 1024,
      'mem.memused': 642940 * 1024,
      'mem.memfree.percent': 97.4,
      'mem.memused.percent': 2.6,
      // No swap on this machine: sizes are 0 and the percentages are left out.
      'mem.swaptotal': 0,
      'mem.swapused': 0,
      'mem.swapfree': 0,
    })
    for (const s of samples) expect(s.type).toBe('GAUGE')
  })

  it('reports swap percentages when there is swap', async () => {
    const samples = await collect(new MemorySource({ proc: PROC2, sys: SYS }))
    expect(value(samples, 'mem.memused')).toBe(4684084 * 1024)
    expect(value(samples, 'mem.memused.percent')).toBe(18.98)
    expect(value(samples, 'mem.memfree.percent')).toBe(81.02)
    expect(value(samples, 'mem.swaptotal')).toBe(2097148 * 1024)
    expect(value(samples, 'mem.swapused')).toBe(1048574 * 1024)
    expect(value(samples, 'mem.swapfree')).toBe(1048574 * 1024)
    expect(value(samples, 'mem.swapused.percent')).toBe(50)
    expect(value(samples, 'mem.swapfree.percent')).toBe(50)
  })

  it('falls back to MemFree + Buffers + Cached on kernels without MemAvailable', async () => {
    const proc = await procWith({
      meminfo:
        'MemTotal:           1000 kB\nMemFree:             100 kB\nBuffers:              50 kB\nCached:              150 kB\nbroken line\nSwapTotal:             0 kB\nSwapFree:              0 kB\n',
    })
    const samples = await collect(new MemorySource({ proc, sys: SYS }))
    expect(value(samples, 'mem.memfree')).toBe(300 * 1024)
    expect(value(samples, 'mem.memused')).toBe(700 * 1024)
    expect(value(samples, 'mem.memused.percent')).toBe(70)
  })
})

describe('LoadSource', () => {
  it('reports load averages and the kernel limits', async () => {
    const samples = await collect(new LoadSource({ proc: PROC1, sys: SYS }))
    expect(byMetric(samples)).toEqual({
      'load.1min': 0.62,
      'load.5min': 0.32,
      'load.15min': 0.15,
      'kernel.maxfiles': 2466170,
      'kernel.files.allocated': 559,
      'kernel.files.left': 2466170 - 559,
      'kernel.maxproc': 32768,
    })
    for (const s of samples) expect(s.type).toBe('GAUGE')
  })
})

describe('ProcessSource', () => {
  it('reports task counts from /proc/loadavg and /proc/stat', async () => {
    expect(byMetric(await collect(new ProcessSource({ proc: PROC1, sys: SYS })))).toEqual({
      'proc.total': 156,
      'proc.running': 1,
      'proc.blocked': 0,
      'proc.forks': 6119,
    })
    const samples = await collect(new ProcessSource({ proc: PROC2, sys: SYS }))
    expect(byMetric(samples)).toEqual({
      'proc.total': 170,
      'proc.running': 3,
      'proc.blocked': 2,
      'proc.forks': 6152,
    })
    expect(typesOf(samples)).toEqual({
      'proc.total': 'GAUGE',
      'proc.running': 'GAUGE',
      'proc.blocked': 'GAUGE',
      'proc.forks': 'COUNTER',
    })
  })
})

describe('DiskSource', () => {
  it('reports whole disks with I/O, skipping partitions, loop, ram, idle and malformed devices', async () => {
    const samples = await collect(new DiskSource({ proc: PROC1, sys: SYS }))
    expect(new Set(samples.map((s) => s.tags.device))).toEqual(new Set(['vda', 'sda']))
    // First reading: raw counters only.
    expect(byMetric(samples, { device: 'vda' })).toEqual({
      'disk.io.read_requests': 44079,
      'disk.io.read_merged': 7260,
      'disk.io.read_sectors': 4285482,
      'disk.io.msec_read': 76653,
      'disk.io.write_requests': 3878,
      'disk.io.write_merged': 16113,
      'disk.io.write_sectors': 3679976,
      'disk.io.msec_write': 10681,
      'disk.io.ios_in_progress': 0,
      'disk.io.msec_total': 4404,
      'disk.io.msec_weighted_total': 87675,
    })
    const types = typesOf(samples)
    expect(types['disk.io.read_requests']).toBe('COUNTER')
    expect(types['disk.io.msec_weighted_total']).toBe('COUNTER')
    expect(types['disk.io.ios_in_progress']).toBe('GAUGE')
  })

  it('computes iostat values over the interval', async () => {
    const paths: HostPaths = { proc: PROC1, sys: SYS }
    const c = clock()
    const disk = new DiskSource(paths, { now: c.now })
    await collect(disk)
    paths.proc = PROC2
    c.advance(10_000)
    const samples = await collect(disk)
    expectAllFinite(samples)

    const vda = byMetric(samples, { device: 'vda' })
    expect(vda['disk.io.read_requests']).toBe(44479)
    expect(vda['disk.io.ios_in_progress']).toBe(2)
    expect(vda['disk.io.read_bytes']).toBe((40960 * 512) / 10)
    expect(vda['disk.io.write_bytes']).toBe((81920 * 512) / 10)
    expect(vda['disk.io.avgrq_sz']).toBe(122.88)
    expect(vda['disk.io.avgqu-sz']).toBe(0.3)
    expect(vda['disk.io.await']).toBe(2)
    expect(vda['disk.io.svctm']).toBe(2.5)
    expect(vda['disk.io.util']).toBe(25)
    expect(one(samples, 'disk.io.util', { device: 'vda' }).type).toBe('GAUGE')

    // sda: busy the whole interval (more, by the counters: util is capped) with no request completed.
    const sda = byMetric(samples, { device: 'sda' })
    expect(sda['disk.io.util']).toBe(100)
    expect(sda['disk.io.avgqu-sz']).toBe(1.05)
    expect(sda['disk.io.await']).toBe(0)
    expect(sda['disk.io.svctm']).toBe(0)
    expect(sda['disk.io.avgrq_sz']).toBe(0)
    expect(sda['disk.io.read_bytes']).toBe(0)
  })

  it('reports every device with I/O when /sys/block cannot be read', async () => {
    const samples = await collect(new DiskSource({ proc: PROC1, sys: MISSING }))
    expect(new Set(samples.map((s) => s.tags.device))).toEqual(new Set(['vda', 'sda', 'sda1']))
  })

  it('emits no rates when a counter goes back', async () => {
    const paths: HostPaths = { proc: PROC2, sys: SYS }
    const c = clock()
    const disk = new DiskSource(paths, { now: c.now })
    await collect(disk)
    paths.proc = PROC1
    c.advance(10_000)
    const samples = await collect(disk)
    expect(samples.some((s) => s.metric === 'disk.io.util')).toBe(false)
    expect(value(samples, 'disk.io.read_requests', { device: 'vda' })).toBe(44079)
  })
})

describe('FilesystemSource', () => {
  const stats: Record<string, FsStats> = {
    '/': { bsize: 4096, blocks: 1_000_000, bfree: 400_000, bavail: 350_000, files: 65536, ffree: 60000 },
    '/data disk': { bsize: 4096, blocks: 2_000_000, bfree: 1_000_000, bavail: 1_000_000, files: 0, ffree: 0 },
    '/odd,name=x': { bsize: 1024, blocks: 1000, bfree: 1000, bavail: 1000, files: 100, ffree: 100 },
  }
  function fakeStatfs(calls: string[]) {
    return (path: string): Promise<FsStats> => {
      calls.push(path)
      if (path === '/hung') return new Promise<FsStats>(() => {})
      const st = stats[path]
      return st ? Promise.resolve(st) : Promise.reject(new Error(`ENOENT: ${path}`))
    }
  }

  it('reports real mounts once per device, with df semantics', async () => {
    const calls: string[] = []
    const fs = new FilesystemSource({ proc: PROC1, sys: SYS }, { statfs: fakeStatfs(calls), timeoutMs: 50 })
    const samples = await collect(fs)
    expectAllFinite(samples)
    // Pseudo, network, FUSE, squashfs and container-layer mounts are never statfs'd; /etc/hosts is a bind of /.
    expect(calls.sort()).toEqual(['/', '/broken', '/data disk', '/hung', '/odd,name=x'])

    const root = { mount: '/', fstype: 'ext4' }
    expect(byMetric(samples, root)).toEqual({
      'df.bytes.total': 4096 * 1_000_000,
      'df.bytes.used': 4096 * 600_000,
      'df.bytes.free': 4096 * 350_000,
      'df.bytes.used.percent': 63.16,
      'df.bytes.free.percent': 36.84,
      'df.inodes.total': 65536,
      'df.inodes.used': 5536,
      'df.inodes.free': 60000,
      'df.inodes.used.percent': 8.45,
      'df.inodes.free.percent': 91.55,
    })
    const data = byMetric(samples, { mount: '/data disk', fstype: 'xfs' })
    expect(data['df.bytes.used.percent']).toBe(50)
    expect(data['df.inodes.total']).toBe(0)
    expect(data['df.inodes.used.percent']).toBeUndefined()
    // Tag text is "k=v,k2=v2": separators in a mount path are replaced.
    expect(value(samples, 'df.bytes.used.percent', { mount: '/odd_name_x', fstype: 'ext4' })).toBe(0)

    expect(byMetric(samples)).toEqual({
      'df.statistics.total': 4096 * 1_000_000 + 4096 * 2_000_000 + 1024 * 1000,
      'df.statistics.used': 4096 * 600_000 + 4096 * 1_000_000,
      'df.statistics.used.percent': 53.33,
    })
    for (const s of samples) expect(s.type).toBe('GAUGE')
  })

  it('does not ask a hung mount again until it answers', async () => {
    const calls: string[] = []
    const fs = new FilesystemSource({ proc: PROC1, sys: SYS }, { statfs: fakeStatfs(calls), timeoutMs: 20 })
    await collect(fs)
    const samples = await collect(fs)
    expect(calls.filter((c) => c === '/hung')).toHaveLength(1)
    expect(calls.filter((c) => c === '/')).toHaveLength(2)
    expect(samples.some((s) => s.tags.mount === '/hung')).toBe(false)
  })

  it('keeps a container root overlay and decodes escaped mount paths', async () => {
    const proc = await procWith({
      'self/mounts':
        'overlay / overlay rw,relatime,lowerdir=/a 0 0\n/dev/sdb1 /etc/hosts ext4 rw 0 0\n/dev/sdb1 /var/lib/my\\040app ext4 rw 0 0\nshort\n',
    })
    const calls: string[] = []
    await collect(new FilesystemSource({ proc, sys: SYS }, { statfs: fakeStatfs(calls), timeoutMs: 20 }))
    expect(calls.sort()).toEqual(['/', '/etc/hosts'])
  })
})

describe('NetworkSource', () => {
  it('reports every interface but lo, with totals and bits', async () => {
    const samples = await collect(new NetworkSource({ proc: PROC1, sys: SYS }))
    expect(new Set(samples.map((s) => s.tags.iface))).toEqual(new Set(['eth0', 'ifb0', 'ifb1']))
    const eth0 = byMetric(samples, { iface: 'eth0' })
    expect(eth0).toEqual({
      'net.if.in.bytes': 419988231,
      'net.if.in.packets': 10160,
      'net.if.in.errors': 0,
      'net.if.in.dropped': 0,
      'net.if.in.fifo.errs': 0,
      'net.if.in.frame.errs': 0,
      'net.if.in.compressed': 0,
      'net.if.in.multicast': 0,
      'net.if.out.bytes': 629816,
      'net.if.out.packets': 6070,
      'net.if.out.errors': 0,
      'net.if.out.dropped': 0,
      'net.if.out.fifo.errs': 0,
      'net.if.out.collisions': 0,
      'net.if.out.carrier.errs': 0,
      'net.if.out.compressed': 0,
      'net.if.total.bytes': 419988231 + 629816,
      'net.if.total.packets': 10160 + 6070,
      'net.if.total.errors': 0,
      'net.if.total.dropped': 0,
      'net.if.in.bits': 419988231 * 8,
      'net.if.out.bits': 629816 * 8,
      'net.if.total.bits': (419988231 + 629816) * 8,
      'net.if.speed.bits': 1e9,
    })
    for (const s of samples) expect(s.type).toBe(s.metric === 'net.if.speed.bits' ? 'GAUGE' : 'COUNTER')
    // No speed for ifb0 (virtual): no speed and no usage percentages.
    expect(byMetric(samples, { iface: 'ifb0' })['net.if.speed.bits']).toBeUndefined()
  })

  it('computes link usage over the interval', async () => {
    const paths: HostPaths = { proc: PROC1, sys: SYS }
    const c = clock()
    const net = new NetworkSource(paths, { now: c.now })
    await collect(net)
    paths.proc = PROC2
    c.advance(10_000)
    const samples = await collect(net)
    expectAllFinite(samples)
    const eth0 = byMetric(samples, { iface: 'eth0' })
    expect(eth0['net.if.in.bytes']).toBe(432488231)
    expect(eth0['net.if.total.bytes']).toBe(432488231 + 3129816)
    expect(eth0['net.if.total.packets']).toBe(19160 + 11070)
    expect(eth0['net.if.total.errors']).toBe(3)
    expect(eth0['net.if.total.dropped']).toBe(3)
    expect(eth0['net.if.in.multicast']).toBe(12)
    // 12.5 MB in 10 s on a 1 Gbit/s link is 1 %; 2.5 MB out is 0.2 %.
    expect(eth0['net.if.in.percent']).toBe(1)
    expect(eth0['net.if.out.percent']).toBe(0.2)
    expect(one(samples, 'net.if.in.percent', { iface: 'eth0' }).type).toBe('GAUGE')
  })

  it('can be limited to interface prefixes', async () => {
    const samples = await collect(
      new NetworkSource({ proc: PROC1, sys: SYS }, { ifacePrefixes: ['eth', 'em'] }),
    )
    expect(new Set(samples.map((s) => s.tags.iface))).toEqual(new Set(['eth0']))
  })
})

describe('TcpSource', () => {
  const states = (samples: Sample[]) =>
    Object.fromEntries(samples.filter((s) => s.metric.startsWith('ss.')).map((s) => [s.metric, s.value]))

  it('counts sockets per state over tcp and tcp6', async () => {
    const samples = await collect(new TcpSource({ proc: PROC1, sys: SYS }))
    expect(states(samples)).toEqual({
      'ss.estab': 4,
      'ss.syn.sent': 1,
      'ss.syn.recv': 1,
      'ss.fin.wait1': 0,
      'ss.fin.wait2': 1,
      'ss.time.wait': 2,
      'ss.closed': 0,
      'ss.close.wait': 1,
      'ss.last.ack': 0,
      'ss.listen': 3,
      'ss.closing': 0,
      'ss.orphaned': 0,
    })
    for (const s of samples.filter((x) => x.metric.startsWith('ss.'))) expect(s.type).toBe('GAUGE')
  })

  it('gives the same counts when lines straddle buffer reads', async () => {
    for (const chunkSize of [1, 7, 150]) {
      const samples = await collect(new TcpSource({ proc: PROC1, sys: SYS }, { chunkSize }))
      expect(value(samples, 'ss.estab')).toBe(4)
      expect(value(samples, 'ss.time.wait')).toBe(2)
      expect(value(samples, 'ss.listen')).toBe(3)
      expect(value(samples, 'ss.fin.wait2')).toBe(1)
    }
  })

  it('starts each cycle from zero', async () => {
    const paths: HostPaths = { proc: PROC1, sys: SYS }
    const tcp = new TcpSource(paths)
    await collect(tcp)
    paths.proc = PROC2
    const samples = await collect(tcp)
    expect(value(samples, 'ss.estab')).toBe(4)
    expect(value(samples, 'ss.listen')).toBe(3)
    expect(value(samples, 'ss.time.wait')).toBe(0)
    expect(value(samples, 'ss.syn.sent')).toBe(0)
    expect(value(samples, 'ss.syn.recv')).toBe(0)
    expect(value(samples, 'ss.close.wait')).toBe(0)
    expect(value(samples, 'ss.orphaned')).toBe(3)
  })

  it('reports TcpExt and snmp counters with their types', async () => {
    const samples = await collect(new TcpSource({ proc: PROC2, sys: SYS }))
    const m = byMetric(samples)
    expect(m['TcpExt.ListenOverflows']).toBe(5)
    expect(m['TcpExt.ListenDrops']).toBe(5)
    expect(m['TcpExt.TCPTimeouts']).toBe(7)
    expect(m['TcpExt.TCPFastRetrans']).toBe(4)
    expect(m['TcpExt.TW']).toBe(12)
    expect(m['TcpExt.TCPLostRetransmit']).toBe(0)
    expect(m['TcpExt.TCPSynRetrans']).toBe(1)
    // Not in this kernel's netstat, and not in the chosen set: absent.
    expect(m['TcpExt.TCPLoss']).toBeUndefined()
    expect(m['TcpExt.TCPHPHits']).toBeUndefined()

    expect(m['snmp.Tcp.ActiveOpens']).toBe(99)
    expect(m['snmp.Tcp.PassiveOpens']).toBe(5)
    expect(m['snmp.Tcp.CurrEstab']).toBe(3)
    expect(m['snmp.Tcp.InSegs']).toBe(11164)
    expect(m['snmp.Tcp.OutSegs']).toBe(6967)
    expect(m['snmp.Tcp.RetransSegs']).toBe(4)
    expect(m['snmp.Tcp.InErrs']).toBe(0)
    expect(m['snmp.Tcp.RtoMin']).toBeUndefined()
    expect(m['snmp.Udp.InDatagrams']).toBe(113)
    expect(m['snmp.Udp.OutDatagrams']).toBe(114)
    expect(m['snmp.Udp.NoPorts']).toBe(0)
    expect(m['snmp.Udp.InErrors']).toBe(0)
    // UdpLite is its own table, not Udp's.
    expect(samples.filter((s) => s.metric === 'snmp.Udp.InDatagrams')).toHaveLength(1)

    const types = typesOf(samples)
    expect(types['snmp.Tcp.CurrEstab']).toBe('GAUGE')
    expect(types['snmp.Tcp.RetransSegs']).toBe('COUNTER')
    expect(types['snmp.Udp.InDatagrams']).toBe('COUNTER')
    expect(types['TcpExt.ListenOverflows']).toBe('COUNTER')
  })

  it('emits what it can when files are missing', async () => {
    const proc = await procWith({
      'net/tcp': '  sl  local_address rem_address   st\n   0: 0100007F:1F90 00000000:0000 0A 0\n',
    })
    const samples = await collect(new TcpSource({ proc, sys: SYS }))
    expect(value(samples, 'ss.listen')).toBe(1)
    expect(samples.some((s) => s.metric.startsWith('snmp.') || s.metric.startsWith('TcpExt.'))).toBe(false)
  })
})

describe('missing files', () => {
  it('never throws and emits nothing without /proc', async () => {
    const sources = hostSources({ proc: MISSING, sys: MISSING })
    for (const s of sources) expect(await collect(s), s.name).toEqual([])
  })
})

describe('SharedReads', () => {
  it('reads a file once within its window', async () => {
    let t = 0
    const shared = new SharedReads(500, () => t)
    const a = await shared.read(join(PROC1, 'loadavg'))
    t = 100
    const b = shared.read(join(PROC1, 'loadavg'))
    expect(await b).toBe(a)
    expect(b).toBe(shared.read(join(PROC1, 'loadavg')))
    t = 600
    expect(shared.read(join(PROC1, 'loadavg'))).not.toBe(b)
  })
})

describe('hostSources on this machine', () => {
  it('reports the key metrics, all finite', async () => {
    const sources = hostSources({ proc: '/proc', sys: '/sys' })
    const run = async () => {
      const out: Sample[] = []
      for (const s of sources) out.push(...(await collect(s)))
      return out
    }
    await run()
    await sleep(1_000)
    const samples = await run()
    expectAllFinite(samples)

    const idle = value(samples, 'cpu.idle')
    expect(idle).toBeGreaterThanOrEqual(0)
    expect(idle).toBeLessThanOrEqual(100)
    expect(samples.some((s) => s.metric === 'cpu.idle' && s.tags.core === '0')).toBe(true)
    const memUsed = value(samples, 'mem.memused.percent')
    expect(memUsed).toBeGreaterThan(0)
    expect(memUsed).toBeLessThan(100)
    expect(value(samples, 'load.1min')).toBeGreaterThanOrEqual(0)
    expect(value(samples, 'kernel.maxproc')).toBeGreaterThan(0)
    expect(value(samples, 'proc.total')).toBeGreaterThan(0)
    const df = samples.filter((s) => s.metric === 'df.bytes.used.percent')
    expect(df.length).toBeGreaterThan(0)
    for (const s of df) expect(s.tags.mount).toBeTruthy()
    expect(samples.some((s) => s.metric === 'net.if.in.bytes' && s.tags.iface !== 'lo')).toBe(true)
    expect(samples.some((s) => s.tags.iface === 'lo')).toBe(false)
    expect(value(samples, 'ss.estab')).toBeGreaterThanOrEqual(0)
    // Percentages carry at most two decimals.
    for (const s of samples)
      if (s.metric.endsWith('percent') || s.metric.startsWith('cpu.') || s.metric === 'disk.io.util')
        expect(Math.round(s.value * 100) / 100, s.metric).toBe(s.value)
  })
})
