import { lstat, mkdir, readdir, statfs } from 'node:fs/promises'
import { join } from 'node:path'

/** Below this the metrics stream would hold only minutes of a fleet's batches: refuse to start. */
export const MIN_METRICS_STREAM_BYTES = 64 * 1024 ** 2

export interface StreamSizing {
  /** The metrics stream's `max_bytes`. */
  streamMaxBytes: number
  /** nats-server's `max_file_store`: everything JetStream may keep on disk, streams and KV. */
  maxFileStore: number
}

export class DiskSpaceError extends Error {
  override name = 'DiskSpaceError'
}

const mib = (n: number) => `${Math.floor(n / 1024 ** 2)} MiB`

/**
 * Sizes JetStream to the disk it runs on. `free` is what the volume has left, `held` what the
 * JetStream store already takes (it can be reused, so a restart with a full stream sizes the same).
 * The metrics stream gets at most half of the two, capped by `max`: the other half is for
 * ClickHouse on the same volume and for headroom. JetStream as a whole gets three quarters
 * (nats-server's own default, but counting `held`, so an existing stream still fits at restart).
 */
export function sizeMetricsStream(o: { free: number; held: number; max: number; dir: string }): StreamSizing {
  const budget = o.free + o.held
  const streamMaxBytes = Math.min(o.max, Math.floor(budget / 2))
  if (streamMaxBytes < MIN_METRICS_STREAM_BYTES)
    throw new DiskSpaceError(
      `not enough disk space for NATS in ${o.dir}: ${mib(o.free)} free, the metrics stream needs at ` +
        `least ${mib(MIN_METRICS_STREAM_BYTES)} and may take only half of it; free some space or ` +
        'point PEREGRINE_DATA at a larger volume',
    )
  return { streamMaxBytes, maxFileStore: Math.floor((budget * 3) / 4) }
}

/** sizeMetricsStream for the nats-server whose data folder is `dir` (created if missing). */
export async function sizeJetStream(dir: string, max: number): Promise<StreamSizing> {
  await mkdir(dir, { recursive: true })
  const s = await statfs(dir)
  return sizeMetricsStream({
    free: s.bavail * s.bsize,
    held: await bytesUnder(join(dir, 'jetstream')),
    max,
    dir,
  })
}

async function bytesUnder(path: string): Promise<number> {
  const st = await lstat(path).catch(() => undefined)
  if (!st) return 0
  if (!st.isDirectory()) return st.blocks * 512
  let total = 0
  for (const name of await readdir(path)) total += await bytesUnder(join(path, name))
  return total
}
