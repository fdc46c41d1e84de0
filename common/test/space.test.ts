import { expect, it } from 'vitest'
import { DiskSpaceError, MIN_METRICS_STREAM_BYTES, sizeMetricsStream } from '../src/nats/space.ts'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const size = (free: number, held = 0, max = 4 * GiB) =>
  sizeMetricsStream({ free, held, max, dir: '/data/nats' })

it('gives the metrics stream half the free space, capped by the configured maximum', () => {
  expect(size(1 * GiB)).toEqual({ streamMaxBytes: 512 * MiB, maxFileStore: 768 * MiB })
  expect(size(100 * GiB).streamMaxBytes).toBe(4 * GiB)
  expect(size(100 * GiB, 0, 1 * GiB).streamMaxBytes).toBe(1 * GiB)
})

it('counts what the store already holds, so a restart with a full stream keeps its size', () => {
  expect(size(512 * MiB, 512 * MiB)).toEqual(size(1 * GiB))
})

it('refuses with one line naming the folder, the space and the way out when too little is free', () => {
  expect(size(2 * MIN_METRICS_STREAM_BYTES).streamMaxBytes).toBe(MIN_METRICS_STREAM_BYTES)
  const tooSmall = () => size(2 * MIN_METRICS_STREAM_BYTES - 1)
  expect(tooSmall).toThrow(DiskSpaceError)
  expect(tooSmall).toThrow(
    /^not enough disk space for NATS in \/data\/nats: 127 MiB free, .*PEREGRINE_DATA[^\n]*$/,
  )
})
