import { describe, expect, it } from 'vitest'
import { finish, HashSlots, hashText } from '../src/judge/hash-slots.ts'
import { Evaluator } from '../src/judge/index.ts'
import { Names } from '../src/judge/names.ts'
import { SeriesTable } from '../src/judge/series.ts'

describe('hash index of slots', () => {
  it('finds every slot by its key as it grows, and nothing for other keys', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `key-${i}`)
    const index = new HashSlots()
    keys.forEach((k, slot) => {
      index.insert(finish(hashText(k)), slot)
    })
    const find = (k: string) => index.find(finish(hashText(k)), (slot) => keys[slot] === k)
    expect(keys.map(find)).toEqual(keys.map((_, slot) => slot))
    expect([find('key-10000'), find('')]).toEqual([-1, -1])
  })
  it('tells keys of one hash apart by the match given', () => {
    const keys = ['a', 'b', 'c']
    const index = new HashSlots()
    keys.forEach((_, slot) => {
      index.insert(7, slot)
    })
    expect(keys.map((k) => index.find(7, (slot) => keys[slot] === k))).toEqual([0, 1, 2])
    expect(index.find(7, () => false)).toBe(-1)
  })
})

describe('names', () => {
  it('gives equal strings one id and keeps the first copy', () => {
    const names = new Names()
    const first = ['host', 'a'].join('-')
    const id = names.intern(first)
    expect(names.intern('host-a')).toBe(id)
    expect(names.name(id)).toBe(first)
    expect(names.intern('host-b')).toBe(id + 1)
    expect([names.find('host-b'), names.find('host-c')]).toEqual([id + 1, -1])
  })
})

describe('series table', () => {
  const def = (endpoint: string, metric: string, tags: string) => ({
    endpoint,
    metric,
    tags,
    counterType: 'GAUGE' as const,
    step: 60,
  })
  it('finds a series by endpoint, metric and tags, each part telling series apart', () => {
    const table = new SeriesTable()
    const defs = [
      def('h1', 'cpu', ''),
      def('h1', 'cpu', 'core=0'),
      def('h1', 'mem', ''),
      def('h2', 'cpu', ''),
    ]
    const slots = defs.map((d) => table.add(d))
    expect(slots).toEqual([0, 1, 2, 3])
    expect(defs.map((d) => table.find(d.endpoint, d.metric, d.tags))).toEqual(slots)
    expect([
      table.find('h3', 'cpu', ''),
      table.find('h1', 'disk', ''),
      table.find('h2', 'cpu', 'x=1'),
    ]).toEqual([-1, -1, -1])
    expect([table.endpoint(3), table.metric(2), table.tags(1), table.count]).toEqual([
      'h2',
      'mem',
      'core=0',
      4,
    ])
  })
  it('hands out views that read the series as it is now', () => {
    const ev = new Evaluator()
    const h = ev.series({ ...def('h1', 'cpu', 'core=0'), counterType: 'COUNTER' })
    expect(pick(h)).toEqual({
      endpoint: 'h1',
      metric: 'cpu',
      tags: 'core=0',
      counterType: 'COUNTER',
      step: 60,
    })
    const again = ev.series({ ...def('h1', 'cpu', 'core=0'), step: 30 })
    expect([pick(h), pick(again)]).toEqual([
      { endpoint: 'h1', metric: 'cpu', tags: 'core=0', counterType: 'GAUGE', step: 30 },
      pick(h),
    ])
    expect(ev.seriesCount).toBe(1)
  })
})

function pick(h: { endpoint: string; metric: string; tags: string; counterType: string; step: number }) {
  return { endpoint: h.endpoint, metric: h.metric, tags: h.tags, counterType: h.counterType, step: h.step }
}
