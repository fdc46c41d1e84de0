import { describe, expect, it } from 'vitest'
import {
  BatchBuilder,
  BatchDecoder,
  type BatchMessage,
  clipKey,
  cutBatch,
  DEFINITION_CHUNK,
  DEFINITIONS_REFRESH_MS,
  encodeBatch,
  encodeWire,
  MAX_BATCH_POINTS,
  MAX_BATCH_SERIES,
  MAX_DICTIONARY_IDS,
  MAX_SERIES_KEY,
  type MetricBatch,
  utf8Length,
  type WireBatch,
  WireSender,
  wireTimestamp,
} from '../src/schema.ts'

const source = { host: 'web-1', agent: '0.1.0' }
const T = 1_800_000_000

function batch(series: number, points = series, ts: (i: number) => number = () => T): MetricBatch {
  const b = new BatchBuilder(source)
  for (let i = 0; i < points; i++)
    b.add(
      { endpoint: 'web-1', metric: `m.${i % series}`, tags: 'dev=sda', counterType: 'GAUGE', step: 10 },
      ts(i),
      i % 7 === 3 ? Number.NaN : i * 1.25,
    )
  return b.take()
}

/** A v2 batch's definitions and points in plain arrays. */
function plain(w: WireBatch) {
  return {
    source: w.source,
    epoch: w.epoch,
    defs: w.defIds.map((id, d) => [id, w.defKeys[d]]),
    ids: [...w.refs],
    ts: w.ts === null ? Array(w.count).fill(w.ts0) : [...w.ts],
    values: [...w.values].map((v) => (Number.isNaN(v) ? null : v)),
  }
}

function decodeV2(data: Uint8Array, decoder = new BatchDecoder()): WireBatch {
  const d = decoder.decode(data)
  if (!d.ok || d.v !== 2) throw new Error(d.ok ? 'not v2' : d.error)
  return d.batch
}

/** The same bytes at an address that is not 8-byte aligned. */
function misaligned(data: Uint8Array, by = 3): Uint8Array {
  const copy = new Uint8Array(data.byteLength + by)
  copy.set(data, by)
  return copy.subarray(by)
}

const expectMalformed = (d: BatchMessage, error: RegExp) =>
  expect(d).toEqual({ ok: false, error: expect.stringMatching(error) })

describe('wire format v2', () => {
  it('round-trips definitions, ids, one shared timestamp and missing values', () => {
    const b = batch(5)
    const ids = [4, 0, 9, 2, 7]
    const w = plain(decodeV2(encodeWire(b, 2 ** 52 + 17, ids, [0, 2, 4])))
    expect(w.source).toEqual(source)
    expect(w.epoch).toBe(2 ** 52 + 17)
    expect(w.defs).toEqual([
      [4, b.series[0]],
      [7, b.series[4]],
      [9, b.series[2]],
    ])
    expect(w.ids).toEqual(b.refs.map((r) => ids[r]))
    expect(w.ts).toEqual(b.ts)
    expect(w.values).toEqual(b.values)
  })

  it('carries a timestamp per point when they differ, as the receivers will read them', () => {
    const stamps = [
      T,
      T + 10,
      0,
      -5,
      12.7,
      0.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 33,
    ]
    const b = batch(stamps.length, stamps.length, (i) => stamps[i]!)
    const w = plain(
      decodeV2(
        encodeWire(
          b,
          1,
          b.series.map((_, i) => i),
          [],
        ),
      ),
    )
    expect(w.ts).toEqual([T, T + 10, 0, 0, 12, 1, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff])
    expect(stamps.map(wireTimestamp)).toEqual(w.ts)
  })

  it('takes a quarter of the bytes of v1 when the definitions are known, and reads misaligned messages alike', () => {
    const b = batch(500)
    const v1 = encodeBatch(b).byteLength
    const v2 = encodeWire(
      b,
      1,
      b.series.map((_, i) => i),
      [],
    )
    expect(v2.byteLength / 500).toBeLessThan(14)
    expect(v2.byteLength).toBeLessThan(v1 / 4)
    const decoder = new BatchDecoder()
    const aligned = plain(decodeV2(v2, decoder))
    for (const by of [1, 2, 3, 4, 5, 6, 7])
      expect(plain(decodeV2(misaligned(v2, by), decoder))).toEqual(aligned)
  })

  it('keeps reading v1 messages', () => {
    const b = batch(3)
    expect(new BatchDecoder().decode(encodeBatch(b))).toEqual({ ok: true, v: 1, batch: b })
  })

  it('clips keys longer than any valid series, never inside a surrogate pair', () => {
    const long = `h\t${'m'.repeat(2000)}\t\tGAUGE\t10`
    expect(clipKey(long)).toHaveLength(MAX_SERIES_KEY)
    const pair = `${'x'.repeat(MAX_SERIES_KEY - 1)}😀tail`
    expect(clipKey(pair)).toBe('x'.repeat(MAX_SERIES_KEY - 1))
    const b = new BatchBuilder(source)
    b.addKey(long, T, 1)
    b.addKey(pair, T, 2)
    const w = decodeV2(encodeWire(b.take(), 1, [0, 1], [0, 1]))
    expect(w.defKeys).toEqual([clipKey(long), clipKey(pair)])
  })

  it('counts UTF-8 bytes as TextEncoder writes them', () => {
    for (const s of [
      '',
      'plain',
      'é',
      '中文',
      '😀',
      '\ud800',
      'a\udc00b',
      '\ud83d\ude00\ud83d',
      'x'.repeat(300),
    ])
      expect(utf8Length(s), JSON.stringify(s)).toBe(new TextEncoder().encode(s).byteLength)
  })
})

describe('a malformed v2 message', () => {
  const b = batch(3)
  const good = encodeWire(b, 5, [0, 1, 2], [0, 1, 2])
  const decoder = new BatchDecoder()
  const patched = (edit: (dv: DataView, bytes: Uint8Array) => void, data = good) => {
    const bytes = data.slice()
    edit(new DataView(bytes.buffer), bytes)
    return decoder.decode(bytes)
  }
  /** Offset of the first definition's key. */
  const firstKey = 36 + utf8Length(source.host) + utf8Length(source.agent) + 6

  it('is refused when cut short anywhere, and never throws', () => {
    for (let n = 0; n < good.byteLength; n++)
      expect(decoder.decode(good.subarray(0, n)).ok, `${n} bytes`).toBe(false)
    expectMalformed(decoder.decode(good.subarray(0, 20)), /shorter than its header/)
    expectMalformed(decoder.decode(good.subarray(0, good.byteLength - 8)), /bytes where its header makes/)
  })

  it('is refused when a length or a count is wrong', () => {
    expectMalformed(
      patched((dv) => dv.setUint32(28, 4, true)),
      /bytes where its header makes/,
    )
    expectMalformed(
      patched((dv) => dv.setUint32(20, 4, true)),
      /definitions cut short/,
    )
    expectMalformed(
      patched((dv) => dv.setUint32(20, 2, true)),
      /definitions longer than they say/,
    )
    expectMalformed(
      patched((dv) => dv.setUint16(firstKey - 2, 3, true)),
      /definition|not UTF-8/,
    )
    expectMalformed(
      patched((dv) => dv.setUint16(6, 200, true)),
      /bytes where its header makes/,
    )
  })

  it('is refused with more points or definitions than a message may carry', () => {
    expectMalformed(
      patched((dv) => dv.setUint32(28, MAX_BATCH_POINTS + 1, true)),
      /points/,
    )
    expectMalformed(
      patched((dv) => dv.setUint32(20, MAX_BATCH_SERIES + 1, true)),
      /definitions/,
    )
    const huge = encodeWire(b, 1, [0, 1, 2], [])
    expectMalformed(
      patched((dv) => dv.setUint32(24, 2 ** 32 - 1, true), huge),
      /bytes where its header makes/,
    )
  })

  it('is refused when an id is out of range or defined twice', () => {
    const ids = encodeWire(b, 1, [0, MAX_DICTIONARY_IDS - 1, 2], [])
    expect(decoder.decode(ids).ok).toBe(true)
    const at = ids.byteLength - 3 * 4
    expectMalformed(
      patched((dv) => dv.setUint32(at + 4, MAX_DICTIONARY_IDS, true), ids),
      /point 1: id out of range/,
    )
    expectMalformed(
      patched((dv) => dv.setUint32(firstKey - 6, MAX_DICTIONARY_IDS, true)),
      /definition id .* out of range/,
    )
    const twice = encodeWire(b, 1, [3, 3, 4], [0, 2])
    const second = firstKey + utf8Length(b.series[0]!)
    expectMalformed(
      patched((dv) => dv.setUint32(second, 3, true), twice),
      /not increasing/,
    )
  })

  it('is refused when a key or the source is not UTF-8', () => {
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]])
      expectMalformed(
        patched((_, bytes) => bytes.set(bad, firstKey)),
        /not UTF-8/,
      )
    expectMalformed(
      patched((_, bytes) => bytes.set([0xff], 36)),
      /source.host/,
    )
  })

  it('is refused with unknown flags, an epoch past 2^53, dirty padding or a stray shared timestamp', () => {
    expectMalformed(
      patched((_, bytes) => bytes.set([3], 4)),
      /flags/,
    )
    expectMalformed(
      patched((dv) => dv.setUint32(16, 2 ** 21, true)),
      /epoch/,
    )
    const perPoint = encodeWire(
      batch(2, 2, (i) => T + i),
      1,
      [0, 1],
      [],
    )
    expectMalformed(
      patched((dv) => dv.setUint32(32, T, true), perPoint),
      /shared timestamp/,
    )
    const padded = encodeWire(b, 1, [0, 1, 2], [0])
    const pad = 36 + utf8Length(source.host) + utf8Length(source.agent) + 6 + utf8Length(b.series[0]!)
    expect(pad % 8).not.toBe(0)
    expectMalformed(
      patched((_, bytes) => bytes.set([1], pad), padded),
      /padding/,
    )
    expectMalformed(
      decoder.decode(Uint8Array.of(0xff, 0x50, 0x47, 0x03, ...good.subarray(4))),
      /unknown version/,
    )
  })

  it('never throws, whatever bytes are flipped', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let round = 0; round < 2000; round++) {
      const bytes = good.slice()
      for (let k = 0; k < 1 + (round % 4); k++)
        bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256)
      expect(() => decoder.decode(bytes)).not.toThrow()
    }
  })
})

describe('WireSender', () => {
  const defs = (data: Uint8Array) => decodeV2(data).defIds.length

  it('defines series inline until the store acknowledged them, then only the new ones', async () => {
    const saved: [number, number, readonly string[]][] = []
    const sender = new WireSender(async (epoch, chunk, keys) => {
      saved.push([epoch, chunk, keys])
    })
    const b = batch(100)
    expect(defs(sender.encode(b, false))).toBe(100)
    await sender.settle()
    expect(saved.map(([e, c, k]) => [e, c, k.length])).toEqual([
      [sender.epoch, 0, DEFINITION_CHUNK],
      [sender.epoch, 1, 100 - DEFINITION_CHUNK],
    ])
    expect(saved[1]![2][0]).toBe(b.series[DEFINITION_CHUNK])
    expect(defs(sender.encode(b, false))).toBe(0)
    expect(defs(sender.encode(batch(102), false))).toBe(2)
    await sender.settle()
    expect(saved.at(-1)?.[2]).toHaveLength(102 - DEFINITION_CHUNK)
    expect(defs(sender.encode(batch(102), false))).toBe(0)
  })

  it('defines and saves everything again once told the store may have lost it (a reconnection)', async () => {
    let saves = 0
    const sender = new WireSender(async () => {
      saves++
    })
    sender.encode(batch(10), false)
    await sender.settle()
    expect(defs(sender.encode(batch(10), false))).toBe(0)
    sender.forgetSaved()
    expect(defs(sender.encode(batch(10), false))).toBe(10)
    await sender.settle()
    expect(saves).toBe(2)
    expect(defs(sender.encode(batch(10), false))).toBe(0)
  })

  it('makes a self-contained message on request (the spool)', async () => {
    const sender = new WireSender(async () => {})
    sender.encode(batch(10), false)
    await sender.settle()
    const w = decodeV2(sender.encode(batch(10), true))
    expect(w.defKeys).toEqual(batch(10).series)
  })

  it('keeps definitions inline while saves fail, and tries again later', async () => {
    let now = 1_000_000
    let fail = true
    let attempts = 0
    const sender = new WireSender(
      async () => {
        attempts++
        if (fail) throw new Error('NATS away')
      },
      () => now,
    )
    sender.encode(batch(5), false)
    await sender.settle()
    expect(defs(sender.encode(batch(5), false))).toBe(5)
    expect(attempts).toBe(1)
    fail = false
    now += 31_000
    expect(defs(sender.encode(batch(5), false))).toBe(5)
    await sender.settle()
    expect(attempts).toBe(2)
    expect(defs(sender.encode(batch(5), false))).toBe(0)
  })

  it('rewrites its chunks daily, and inlines what was stored too long ago', async () => {
    let now = 1_000_000
    let saves = 0
    const sender = new WireSender(
      async () => {
        saves++
      },
      () => now,
    )
    sender.encode(batch(5), false)
    await sender.settle()
    now += DEFINITIONS_REFRESH_MS + 1
    expect(defs(sender.encode(batch(5), false))).toBe(0)
    await sender.settle()
    expect(saves).toBe(2)
    const idle = new WireSender(
      async () => {},
      () => now,
    )
    idle.encode(batch(5), false)
    await idle.settle()
    now += 4 * DEFINITIONS_REFRESH_MS
    expect(defs(idle.encode(batch(5), false))).toBe(5)
  })

  it('starts a new epoch before running out of ids', () => {
    const sender = new WireSender(null)
    const first = sender.epoch
    const rounds = Math.ceil(MAX_DICTIONARY_IDS / MAX_BATCH_SERIES)
    for (let r = 0; r < rounds; r++) {
      const b = new BatchBuilder(source)
      for (let i = 0; i < MAX_BATCH_SERIES; i++) b.addKey(`h\tm.${r}.${i}\t\tGAUGE\t10`, T, i)
      const w = decodeV2(sender.encode(b.take(), false))
      expect(Math.max(...w.refs)).toBeLessThan(MAX_DICTIONARY_IDS)
    }
    expect(sender.epoch).not.toBe(first)
  })

  it('sizes a batch as its largest encoding, so cut parts always fit', () => {
    const sender = new WireSender(null)
    const b = new BatchBuilder(source)
    for (let i = 0; i < 3000; i++) b.addKey(`h\t${`m.${i}.`.padEnd(400, 'é')}\t\tGAUGE\t10`, T + (i % 3), i)
    const whole = b.take()
    const max = 200_000
    const parts = cutBatch(whole, (p) => sender.maxSize(p) <= max)
    expect(parts.length).toBeGreaterThan(5)
    for (const p of parts) {
      const data = sender.encode(p, true)
      expect(data.byteLength).toBe(sender.maxSize(p))
      expect(data.byteLength).toBeLessThanOrEqual(max)
    }
    expect(parts.reduce((n, p) => n + p.refs.length, 0)).toBe(3000)
  })
})
