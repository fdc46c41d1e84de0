import { describe, expect, it } from 'vitest'
import {
  alignTimestamp,
  asRates,
  BatchBuilder,
  canonicalTags,
  decodeBatch,
  encodeBatch,
  fingerprint,
  seriesProblem,
  tagsFromRecord,
  toFiniteNumber,
} from '../src/index.ts'

describe('tags', () => {
  it('canonicalises Open-Falcon tag text: trimmed, sorted by key', () => {
    expect(canonicalTags(' mount=/ , fstype=ext4')).toBe('fstype=ext4,mount=/')
    expect(canonicalTags('')).toBe('')
    expect(canonicalTags('a=1,,b=2')).toBe('a=1,b=2')
    expect(canonicalTags('k=')).toBe('k=')
  })
  it('rejects pairs without = or with an empty key', () => {
    expect(canonicalTags('novalue')).toBeNull()
    expect(canonicalTags('=v')).toBeNull()
  })
  it('builds the same canonical text from a record', () => {
    expect(tagsFromRecord({ z: '1', a: '2' })).toBe('a=2,z=1')
  })
})

describe('point rules', () => {
  const ok = { endpoint: 'h', metric: 'm', tags: '', counterType: 'GAUGE', step: 10 }
  it('accepts a good series', () => expect(seriesProblem(ok)).toBeNull())
  it.each([
    [{ endpoint: ' ' }, 'endpoint'],
    [{ metric: '' }, 'metric'],
    [{ counterType: 'gauge' }, 'counterType'],
    [{ step: 0 }, 'step'],
    [{ step: 1.5 }, 'step'],
    [{ metric: 'x'.repeat(500), tags: 'a=1234567890' }, 'metric'],
    [{ metric: 'a\tb' }, 'metric'],
    [{ endpoint: 'h\n' }, 'endpoint'],
    [{ tags: 'k=v\u0000' }, 'tags'],
    [{ endpoint: 'e'.repeat(256) }, 'endpoint'],
    [{ step: 86_401 }, 'step'],
    [{ step: 2 ** 32 + 10 }, 'step'],
  ])('rejects %o naming %s', (patch, field) => {
    expect(seriesProblem({ ...ok, ...patch })?.field).toBe(field)
  })
  it('accepts the longest endpoint and step', () => {
    expect(seriesProblem({ ...ok, endpoint: 'e'.repeat(255), step: 86_400 })).toBeNull()
  })
  it('accepts metric + tags of exactly 510 characters', () => {
    expect(seriesProblem({ ...ok, metric: 'x'.repeat(500), tags: 'a=1234567' })).toBeNull()
  })
  it('aligns timestamps down to the step; <= 0 means now', () => {
    const now = 1_700_000_123
    expect(alignTimestamp(1_700_000_007, 10, now)).toBe(1_700_000_000)
    expect(alignTimestamp(1_700_000_059.9, 60, now)).toBe(1_700_000_040)
    expect(alignTimestamp(0, 10, now)).toBe(1_700_000_120)
    expect(alignTimestamp(-5, 10, now)).toBe(1_700_000_120)
    expect(alignTimestamp(Number.NaN, 10, now)).toBe(-1)
    expect(alignTimestamp(2 ** 33, 10, now)).toBe(-1)
    // Clock skew of up to ten minutes is accepted; further ahead is refused.
    expect(alignTimestamp(now + 600, 10, now)).toBe(1_700_000_720)
    expect(alignTimestamp(now + 601, 10, now)).toBe(-1)
    expect(alignTimestamp(now - 100, 10, now, now - 100)).toBe(-1)
    expect(alignTimestamp(now - 100, 10, now, now - 101)).toBe(-1)
    expect(alignTimestamp(now - 100, 10, now, now - 110)).toBe(1_700_000_020)
  })
  it('reads numbers and numeric text, never NaN or infinities', () => {
    expect(toFiniteNumber('1.5')).toBe(1.5)
    expect(toFiniteNumber(3)).toBe(3)
    expect(toFiniteNumber('')).toBeNull()
    expect(toFiniteNumber('abc')).toBeNull()
    expect(toFiniteNumber(Number.POSITIVE_INFINITY)).toBeNull()
  })
})

describe('fingerprint', () => {
  it('is a stable UInt64 decimal that depends on every identity field', () => {
    const a = fingerprint({ endpoint: 'h', metric: 'm', tags: 'a=1' })
    expect(a).toMatch(/^\d+$/)
    expect(BigInt(a) < 2n ** 64n).toBe(true)
    expect(fingerprint({ endpoint: 'h', metric: 'm', tags: 'a=1' })).toBe(a)
    expect(fingerprint({ endpoint: 'h', metric: 'm', tags: 'a=2' })).not.toBe(a)
    expect(fingerprint({ endpoint: 'h2', metric: 'm', tags: 'a=1' })).not.toBe(a)
  })
})

describe('batch wire format', () => {
  it('numbers each series once and round-trips', () => {
    const b = new BatchBuilder({ host: 'h', agent: 't' })
    const s = { endpoint: 'h', metric: 'cpu.idle', tags: '', counterType: 'GAUGE' as const, step: 10 }
    b.add(s, 100, 1)
    b.add(s, 110, 2)
    b.add({ ...s, metric: 'load.1min' }, 100, Number.NaN)
    const batch = b.take()
    expect(batch.series).toHaveLength(2)
    expect(batch.refs).toEqual([0, 0, 1])
    expect(batch.values).toEqual([1, 2, null])
    expect(b.size).toBe(0)
    const decoded = decodeBatch(encodeBatch(batch))
    expect(decoded).toEqual({ ok: true, batch })
  })
  it('reports what is wrong with a message that is not a batch', () => {
    expect(decodeBatch(Buffer.from('{nope'))).toMatchObject({
      ok: false,
      error: expect.stringContaining('not JSON'),
    })
    expect(decodeBatch(Buffer.from('{"v":2}'))).toMatchObject({
      ok: false,
      error: expect.stringContaining('v'),
    })
    const uneven = { v: 1, source: { host: 'h', agent: 'a' }, series: [], refs: [0], ts: [], values: [] }
    expect(decodeBatch(Buffer.from(JSON.stringify(uneven)))).toMatchObject({ ok: false })
  })
})

describe('rates', () => {
  const t = [0, 10, 20, 30]
  it('turns counters into per-second rates and skips resets', () => {
    expect(asRates({ timestamps: t, values: [0, 100, 50, 150] }, 'COUNTER')).toEqual({
      timestamps: [10, 30],
      values: [10, 10],
    })
  })
  it('lets DERIVE go down', () => {
    expect(asRates({ timestamps: t, values: [0, 100, 50, 150] }, 'DERIVE').values).toEqual([10, -5, 10])
  })
  it('leaves gauges alone', () => {
    const g = { timestamps: t, values: [1, 2, 3, 4] }
    expect(asRates(g, 'GAUGE')).toBe(g)
  })
})
