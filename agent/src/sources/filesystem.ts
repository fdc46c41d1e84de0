import { statfs as nodeStatfs } from 'node:fs/promises'
import type { Tags } from '@peregrine/common/schema'
import type { Emit, HostPaths, MetricSource } from './source.ts'
import { lineEnd, percent, type ReadText, readText, round2, skipBlanks, skipToken } from './util.ts'

/** The fields of statfs(2) this source uses (node's StatsFs has them as numbers). */
export interface FsStats {
  bsize: number
  blocks: number
  bfree: number
  bavail: number
  files: number
  ffree: number
}

export type StatfsFn = (path: string) => Promise<FsStats>

/** Kernel and virtual filesystems: no disk behind them, or always full by design (squashfs, iso9660). */
const PSEUDO = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'nfsd',
  'proc',
  'pstore',
  'ramfs',
  'rootfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
])

/**
 * Network filesystems: statfs on an unreachable server blocks a libuv thread for minutes, and the
 * volume is the server's to monitor. FUSE mounts ("fuse.sshfs", "fuse.lxcfs" …) are skipped as
 * Open-Falcon does; block-device FUSE ("fuseblk", e.g. ntfs-3g) is kept.
 */
const NETWORK = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ncpfs',
  'afs',
  'ceph',
  'glusterfs',
  'lustre',
  'fuse',
])

function skipType(fstype: string, mount: string): boolean {
  if (PSEUDO.has(fstype) || NETWORK.has(fstype) || fstype.startsWith('fuse.')) return true
  // A container's root is an overlay; other overlays are container layers seen from the host.
  if (fstype === 'overlay') return mount !== '/'
  return false
}

/** Mount points under these hold kernel interfaces, never data. */
function skipMount(mount: string): boolean {
  return (
    mount === '/proc' ||
    mount.startsWith('/proc/') ||
    mount === '/sys' ||
    mount.startsWith('/sys/') ||
    mount === '/dev' ||
    mount.startsWith('/dev/')
  )
}

export interface FilesystemSourceOptions {
  read?: ReadText
  /** statfs(2) of a mount point; default node:fs/promises statfs. */
  statfs?: StatfsFn
  /**
   * How long to wait for one statfs before skipping that mount this cycle (default 5000 ms). A
   * mount whose statfs has not come back is not asked again until it does, so a hung mount holds
   * at most one thread.
   */
  timeoutMs?: number
}

interface Mount {
  device: string
  mount: string
  fstype: string
}

/**
 * Space and inode usage of the real mounted filesystems (/proc/self/mounts, one mount per device)
 * through statfs, as Open-Falcon's df.* metrics with tags mount=/,fstype=ext4, and the
 * df.statistics.* totals over all of them.
 */
export class FilesystemSource implements MetricSource {
  readonly name = 'filesystem'
  private readonly read: ReadText
  private readonly statfs: StatfsFn
  private readonly timeoutMs: number
  /** Mount points whose statfs has not returned yet. */
  private readonly pending = new Set<string>()
  private readonly tagCache = new Map<string, Tags>()

  /** `paths` is read at every collect, so it may be changed between cycles. */
  constructor(
    private readonly paths: HostPaths,
    options: FilesystemSourceOptions = {},
  ) {
    this.read = options.read ?? readText
    this.statfs = options.statfs ?? nodeStatfs
    this.timeoutMs = options.timeoutMs ?? 5000
  }

  async collect(emit: Emit): Promise<void> {
    const proc = this.paths.proc
    const text = (await this.read(`${proc}/self/mounts`)) ?? (await this.read(`${proc}/mounts`))
    if (text === null) return
    const mounts = parseMounts(text)
    const stats = await Promise.all(mounts.map((m) => this.stat(m.mount)))

    let sumTotal = 0
    let sumUsed = 0
    let reported = 0
    for (let k = 0; k < mounts.length; k++) {
      const st = stats[k]
      if (st === undefined) continue
      const m = mounts[k]!
      const { bsize, blocks, bfree, bavail, files, ffree } = st
      if (!(blocks > 0 && bsize > 0) || !(bfree >= 0 && bavail >= 0 && files >= 0 && ffree >= 0)) continue
      const tags = this.tags(m)
      const total = blocks * bsize
      const used = Math.max(0, blocks - bfree) * bsize
      const free = bavail * bsize
      emit('df.bytes.total', total, 'GAUGE', tags)
      emit('df.bytes.used', used, 'GAUGE', tags)
      emit('df.bytes.free', free, 'GAUGE', tags)
      // As df: the share of the space a user can have (used + available), root's reserve excluded.
      const usedPct = used + free > 0 ? (used * 100) / (used + free) : undefined
      if (usedPct !== undefined) {
        emit('df.bytes.used.percent', round2(usedPct), 'GAUGE', tags)
        emit('df.bytes.free.percent', round2(100 - usedPct), 'GAUGE', tags)
      }
      // Some filesystems (btrfs, vfat) have no fixed inode table and report 0 inodes.
      const inodesUsed = Math.max(0, files - ffree)
      emit('df.inodes.total', files, 'GAUGE', tags)
      emit('df.inodes.used', inodesUsed, 'GAUGE', tags)
      emit('df.inodes.free', ffree, 'GAUGE', tags)
      const inodesUsedPct = percent(inodesUsed, files)
      if (inodesUsedPct !== undefined) {
        emit('df.inodes.used.percent', inodesUsedPct, 'GAUGE', tags)
        emit('df.inodes.free.percent', round2(100 - (inodesUsed * 100) / files), 'GAUGE', tags)
      }
      sumTotal += total
      sumUsed += used
      reported++
    }

    if (reported > 0 && sumTotal > 0) {
      emit('df.statistics.total', sumTotal, 'GAUGE')
      emit('df.statistics.used', sumUsed, 'GAUGE')
      emit('df.statistics.used.percent', round2((sumUsed * 100) / sumTotal), 'GAUGE')
    }
  }

  private tags(m: Mount): Tags {
    const key = `${m.mount}\n${m.fstype}`
    let tags = this.tagCache.get(key)
    if (tags === undefined) {
      // Open-Falcon's tag text is "k=v,k2=v2": a mount path must not carry its separators.
      tags = Object.freeze({ mount: tagValue(m.mount), fstype: tagValue(m.fstype) })
      if (this.tagCache.size > 1000) this.tagCache.clear()
      this.tagCache.set(key, tags)
    }
    return tags
  }

  /** statfs with a time limit; undefined when it fails, times out or is still pending. */
  private stat(mount: string): Promise<FsStats | undefined> {
    if (this.pending.has(mount)) return Promise.resolve(undefined)
    this.pending.add(mount)
    const call = this.statfs(mount).then(
      (st) => st,
      () => undefined,
    )
    void call.then(() => this.pending.delete(mount))
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, this.timeoutMs, undefined)
      timer.unref()
    })
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer))
  }
}

/** Mount entries worth a statfs: real filesystems, one mount per device (bind mounts dropped). */
export function parseMounts(text: string): Mount[] {
  const out: Mount[] = []
  /** Index in out of each device's mount. */
  const devices = new Map<string, number>()
  let start = 0
  while (start < text.length) {
    const end = lineEnd(text, start)
    const a = skipBlanks(text, start, end)
    const ae = skipToken(text, a, end)
    const b = skipBlanks(text, ae, end)
    const be = skipToken(text, b, end)
    const c = skipBlanks(text, be, end)
    const ce = skipToken(text, c, end)
    start = end + 1
    if (ce === c) continue
    const fstype = text.slice(c, ce)
    const mount = unescapeMount(text.slice(b, be))
    if (skipType(fstype, mount) || skipMount(mount)) continue
    const device = text.slice(a, ae)
    if (device === 'none') continue
    const seen = devices.get(device)
    if (seen === undefined) {
      devices.set(device, out.length)
      out.push({ device, mount, fstype })
    } else if (mount.length < out[seen]!.mount.length) {
      // A device mounted twice is a bind mount (or a btrfs subvolume): keep the shortest path, as
      // Open-Falcon does, so a container's "/" wins over "/etc/hosts".
      out[seen] = { device, mount, fstype }
    }
  }
  return out
}

/** /proc/mounts writes space, tab, newline and backslash in paths as octal escapes (\040 …). */
function unescapeMount(s: string): string {
  if (!s.includes('\\')) return s
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!
    if (ch === '\\' && i + 3 < s.length && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      out += String.fromCharCode(Number.parseInt(s.slice(i + 1, i + 4), 8))
      i += 3
    } else out += ch
  }
  return out
}

function tagValue(s: string): string {
  return s.includes(',') || s.includes('=') ? s.replaceAll(',', '_').replaceAll('=', '_') : s
}
