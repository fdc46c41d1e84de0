import { CpuSource } from './cpu.ts'
import { DiskSource } from './disk.ts'
import { FilesystemSource } from './filesystem.ts'
import { LoadSource } from './load.ts'
import { MemorySource } from './memory.ts'
import { NetworkSource } from './network.ts'
import { ProcessSource } from './process.ts'
import type { HostPaths, MetricSource } from './source.ts'
import { TcpSource } from './tcp.ts'
import { SharedReads } from './util.ts'

export { CpuSource, type CpuSourceOptions } from './cpu.ts'
export { DiskSource, type DiskSourceOptions } from './disk.ts'
export {
  FilesystemSource,
  type FilesystemSourceOptions,
  type FsStats,
  parseMounts,
  type StatfsFn,
} from './filesystem.ts'
export { LoadSource, type LoadSourceOptions } from './load.ts'
export { MemorySource, type MemorySourceOptions } from './memory.ts'
export { NetworkSource, type NetworkSourceOptions } from './network.ts'
export { ProcessSource, type ProcessSourceOptions } from './process.ts'
export type { Emit, HostPaths, MetricSource } from './source.ts'
export { TcpSource, type TcpSourceOptions } from './tcp.ts'
export { type ReadText, readText, SharedReads } from './util.ts'

/**
 * The host metric sources of the agent, reading the kernel's files under `paths` (/proc and /sys on
 * a host; /host/proc and /host/sys when the agent runs in a container with the host's mounted).
 * They share one reader, so a file two families use (/proc/stat, /proc/loadavg) is read once per
 * cycle when the agent collects them one after another.
 */
export function hostSources(paths: HostPaths): MetricSource[] {
  const read = new SharedReads().read
  return [
    new CpuSource(paths, { read }),
    new ProcessSource(paths, { read }),
    new LoadSource(paths, { read }),
    new MemorySource(paths, { read }),
    new DiskSource(paths, { read }),
    new FilesystemSource(paths, { read }),
    new NetworkSource(paths, { read }),
    new TcpSource(paths, { read }),
  ]
}
