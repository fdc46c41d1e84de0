import { describe, expect, it } from 'vitest'
import { History } from '../src/judge/index.ts'

const values = (h: History) =>
  Array.from({ length: h.size }, (_, i) => [h.tsAt(i), h.valueAt(i), h.fromAt(i)])

describe('many series in one history', () => {
  it('keeps each series apart, each at its slot', () => {
    const h = new History()
    const gauge = h.add('GAUGE', 10)
    const counter = h.add('COUNTER', 10)
    h.at(gauge).ensure(2)
    h.at(counter).ensure(2)
    for (let t = 0; t <= 30; t += 10) {
      h.at(gauge).push(t, t)
      h.at(counter).push(t, t * 3)
    }
    expect(values(h.at(gauge))).toEqual([
      [30, 30, 30],
      [20, 20, 20],
    ])
    expect(values(h.at(counter))).toEqual([
      [30, 3, 20],
      [20, 3, 10],
    ])
    expect([h.at(gauge).rates, h.at(counter).rates]).toEqual([false, true])
  })
  it('grows a ring between others, keeping its newest values in order and the others untouched', () => {
    const h = new History()
    const slots = [h.add('GAUGE', 1), h.add('DERIVE', 1), h.add('GAUGE', 1)]
    for (const s of slots) h.at(s).ensure(3)
    for (let t = 1; t <= 5; t++) for (const s of slots) h.at(s).push(t, t * 10 + s)
    h.at(slots[1]!).ensure(5)
    h.at(slots[1]!).push(6, 61)
    h.at(slots[1]!).push(7, 81)
    expect(values(h.at(slots[1]!)).map((v) => v[0])).toEqual([7, 6, 5, 4, 3])
    expect(values(h.at(slots[1]!)).map((v) => v[1])).toEqual([20, 10, 10, 10, 10])
    expect(values(h.at(slots[0]!))).toEqual([
      [5, 50, 5],
      [4, 40, 4],
      [3, 30, 3],
    ])
    expect(values(h.at(slots[2]!)).map((v) => v[1])).toEqual([52, 42, 32])
  })
  it('grows past what its columns and rings first held', () => {
    const h = new History()
    const slots = Array.from({ length: 5000 }, (_, i) => h.add(i % 2 ? 'GAUGE' : 'COUNTER', 10))
    for (const s of slots) h.at(s).ensure(1 + (s % 4))
    for (let t = 10; t <= 60; t += 10) for (const s of slots) h.at(s).push(t, s * t)
    for (const s of [0, 1, 2, 3, 4998, 4999]) {
      const cap = 1 + (s % 4)
      const rate = s % 2 === 0
      expect(values(h.at(s))).toEqual(
        Array.from({ length: cap }, (_, i) => {
          const t = 60 - 10 * i
          return rate ? [t, s, t - 10] : [t, s * t, t]
        }),
      )
    }
  })
  it('reuses the ring a series gave up when it grew', () => {
    const h = new History()
    const a = h.add('GAUGE', 1)
    h.at(a).ensure(2)
    const base = h.base
    h.ensure(4)
    const b = h.add('GAUGE', 1)
    h.at(b).ensure(2)
    expect(h.base).toBe(base)
  })
})
