import { describe, expect, it } from 'vitest'
import {
  BatchBuilder,
  BatchDecoder,
  BatchResolver,
  DEFINITION_CHUNK,
  type DefinitionSource,
  encodeBatch,
  encodeWire,
  LOAD_RETRY_MS,
  type MetricBatch,
  SeriesDictionary,
  type WireBatch,
} from '../src/schema.ts'

const T = 1_800_000_000
const key = (i: number) => `h\tm.${i}\t\tGAUGE\t10`

/** A v2 message of points of the series `ids` (key i for id i), defining `inline` of them. */
function message(ids: number[], inline: number[] = [], epoch = 1): Uint8Array {
  const b = new BatchBuilder({ host: 'h', agent: 't' })
  for (const id of ids) b.addKey(key(id), T, id)
  const batch = b.take()
  const data = encodeWire(
    batch,
    epoch,
    ids,
    ids.flatMap((id, s) => (inline.includes(id) ? [s] : [])),
  )
  // Not 8-byte aligned, as messages off the socket mostly are: the decoder's own buffer serves.
  const copy = new Uint8Array(data.byteLength + 1)
  copy.set(data, 1)
  return copy.subarray(1)
}

const wire = (data: Uint8Array): WireBatch => {
  const d = new BatchDecoder().decode(data)
  if (!d.ok || d.v !== 2) throw new Error('not v2')
  return d.batch
}

/** A source holding keys for ids below `stored`, counting look-ups. */
function source(stored: number) {
  const loads: [string, number, number][] = []
  let fail = false
  const s: DefinitionSource & { loads: typeof loads; fail(on: boolean): void } = {
    loads,
    fail: (on) => {
      fail = on
    },
    async load(owner, epoch, chunk) {
      loads.push([owner, epoch, chunk])
      if (fail) throw new Error('NATS away')
      const first = chunk * DEFINITION_CHUNK
      if (first >= stored) return null
      return Array.from({ length: Math.min(DEFINITION_CHUNK, stored - first) }, (_, i) => key(first + i))
    },
  }
  return s
}

/** Resolves a key to its metric, counting calls. */
function resolver() {
  const calls: string[] = []
  return {
    calls,
    resolve: (k: string) => {
      calls.push(k)
      return k.split('\t')[1]!
    },
  }
}

const metricsOf = (values: readonly (string | undefined)[] | null, w: WireBatch) =>
  values && [...w.refs].map((id) => values[id])

describe('SeriesDictionary', () => {
  it('learns inline definitions and resolves each key once per epoch', () => {
    const r = resolver()
    const d = new SeriesDictionary(r.resolve, null)
    const first = wire(message([0, 1, 2], [0, 1, 2]))
    expect(metricsOf(d.values('s', first), first)).toEqual(['m.0', 'm.1', 'm.2'])
    const again = wire(message([2, 0, 1]))
    expect(metricsOf(d.values('s', again), again)).toEqual(['m.2', 'm.0', 'm.1'])
    expect(r.calls).toEqual([key(0), key(1), key(2)])
    const redefined = wire(message([1], [1]))
    d.values('s', redefined)
    expect(r.calls).toHaveLength(3)
  })

  it('keeps senders and epochs apart', () => {
    const d = new SeriesDictionary(resolver().resolve, null)
    d.values('a', wire(message([0], [0], 1)))
    const otherOwner = wire(message([0], [], 1))
    const otherEpoch = wire(message([0], [], 2))
    expect(d.values('b', otherOwner)?.[0]).toBeUndefined()
    expect(d.values('a', otherEpoch)?.[0]).toBeUndefined()
    expect(d.values('a', wire(message([0], [], 1)))?.[0]).toBe('m.0')
  })

  it('looks up unknown ids in the source, one request per chunk, and resolves them', async () => {
    const src = source(200)
    const d = new SeriesDictionary(resolver().resolve, src)
    const w = wire(message([5, 70, 71, 130], [70, 71]))
    expect(d.values('s', w)).toBeNull()
    await d.load('s', w)
    expect(src.loads).toEqual([
      ['s', 1, 0],
      ['s', 1, 2],
    ])
    expect(metricsOf(d.values('s', w), w)).toEqual(['m.5', 'm.70', 'm.71', 'm.130'])
  })

  it('leaves ids nobody stored unknown, and asks again only after a pause', async () => {
    let now = 1_000_000
    const src = source(10)
    const errors: string[] = []
    const d = new SeriesDictionary(resolver().resolve, src, {
      now: () => now,
      onLoadError: (err) => errors.push(err.message),
    })
    const w = wire(message([3, 20]))
    expect(d.values('s', w)).toBeNull()
    await d.load('s', w)
    expect(metricsOf(d.values('s', w), w)).toEqual(['m.3', undefined])
    expect(src.loads).toHaveLength(1)
    now += LOAD_RETRY_MS + 1
    src.fail(true)
    expect(d.values('s', w)).toBeNull()
    await d.load('s', w)
    expect(errors).toEqual(['NATS away'])
    expect(metricsOf(d.values('s', w), w)).toEqual(['m.3', undefined])
    expect(src.loads).toHaveLength(2)
  })

  it('stops asking a source that fails, for every sender, until the pause is over', async () => {
    let now = 1_000_000
    const src = source(100)
    const d = new SeriesDictionary(resolver().resolve, src, { now: () => now })
    src.fail(true)
    const w = wire(message([1]))
    await d.load('a', w)
    expect(src.loads).toHaveLength(1)
    // Another sender's unknown ids: not worth a request that would fail all the same.
    expect(d.values('b', w)?.[1]).toBeUndefined()
    now += LOAD_RETRY_MS + 1
    src.fail(false)
    expect(d.values('b', w)).toBeNull()
    await d.load('b', w)
    expect(d.values('b', w)?.[1]).toBe('m.1')
  })

  it('resolves every key anew once invalidated', () => {
    const r = resolver()
    const d = new SeriesDictionary(r.resolve, null)
    d.values('s', wire(message([0, 1], [0, 1])))
    d.invalidate()
    const w = wire(message([0, 1]))
    expect(metricsOf(d.values('s', w), w)).toEqual(['m.0', 'm.1'])
    expect(r.calls).toEqual([key(0), key(1), key(0), key(1)])
  })

  it('stays within its bound, dropping the epochs used longest ago, which the source can bring back', async () => {
    const src = source(1000)
    const d = new SeriesDictionary(resolver().resolve, src, { maxIds: 300 })
    const ids = Array.from({ length: 100 }, (_, i) => i)
    for (const owner of ['a', 'b', 'c', 'd', 'e']) d.values(owner, wire(message(ids, ids)))
    expect(d.size).toBeLessThanOrEqual(300)
    const w = wire(message(ids))
    expect(d.values('e', w)).not.toBeNull()
    expect(d.values('a', w)).toBeNull()
    await d.load('a', w)
    expect(metricsOf(d.values('a', w), w)).toEqual(ids.map((i) => `m.${i}`))
    expect(d.size).toBeLessThanOrEqual(300)
  })
})

describe('BatchResolver', () => {
  const v1 = (b: MetricBatch) => b.series.map((k) => k.split('\t')[1])

  it('reads v1 batches through the v1 resolution and known v2 batches without waiting', () => {
    const r = new BatchResolver(resolver().resolve, source(100))
    const b = new BatchBuilder({ host: 'h', agent: 't' })
    b.addKey(key(9), T, 1)
    const old = r.read('s', encodeBatch(b.take()), v1)
    expect(old).toMatchObject({ ok: true, series: ['m.9'], points: { count: 1, ts: [T], values: [1] } })
    const known = r.read('s', message([1, 2], [1, 2]), v1)
    expect(known).not.toBeInstanceOf(Promise)
    expect(r.read('s', Buffer.from('{"v":1}'), v1)).toMatchObject({ ok: false })
  })

  it('waits only for ids it must look up, and what it returns then is its own', async () => {
    const r = new BatchResolver(resolver().resolve, source(100))
    const pending = r.read('s', message([7, 8]), v1)
    expect(pending).toBeInstanceOf(Promise)
    r.read('s', message([1, 2, 3, 4], [1, 2, 3, 4]), v1)
    const got = await pending
    if (!got.ok) throw new Error(got.error)
    // Messages decoded while and after it waited must not show through its points.
    r.read('s', message([3, 4, 5, 6], [3, 4, 5, 6]), v1)
    expect([...Array.from(got.points.refs)].map((id) => got.series[id])).toEqual(['m.7', 'm.8'])
    expect(Array.from(got.points.values as ArrayLike<number>)).toEqual([7, 8])
  })
})
