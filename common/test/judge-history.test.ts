import { describe, expect, it } from 'vitest'
import { IGNORED, NEW_VALUE, NO_VALUE } from '../src/judge/history.ts'
import { History } from '../src/judge/index.ts'

const values = (h: History) =>
  Array.from({ length: h.size }, (_, i) => [h.tsAt(i), h.valueAt(i), h.fromAt(i)])

describe('history ring', () => {
  it('keeps the newest values, newest first, wrapping without allocation', () => {
    const h = new History('GAUGE', 10)
    h.ensure(3)
    const buf = h.buf
    for (let t = 0; t <= 60; t += 10) h.push(t, t / 10)
    expect(h.buf).toBe(buf)
    expect(values(h)).toEqual([
      [60, 6, 60],
      [50, 5, 50],
      [40, 4, 40],
    ])
  })
  it('ignores a point not newer than the newest accepted', () => {
    const h = new History('GAUGE', 10)
    h.ensure(2)
    expect(h.push(20, 1)).toBe(NEW_VALUE)
    expect(h.push(20, 2)).toBe(IGNORED)
    expect(h.push(10, 3)).toBe(IGNORED)
    expect(values(h)).toEqual([[20, 1, 20]])
  })
  it('grows keeping what it holds, in order', () => {
    const h = new History('GAUGE', 10)
    h.ensure(2)
    for (let t = 0; t <= 30; t += 10) h.push(t, t)
    h.ensure(4)
    h.push(40, 40)
    h.push(50, 50)
    expect(values(h).map((v) => v[0])).toEqual([50, 40, 30, 20])
    h.ensure(3) // never shrinks
    expect(h.cap).toBe(4)
  })
  it('holds rates of a COUNTER with the older point of each, none for the first point or a reset', () => {
    const h = new History('COUNTER', 10)
    h.ensure(3)
    expect(h.push(0, 100)).toBe(NO_VALUE)
    expect(h.push(10, 150)).toBe(NEW_VALUE)
    expect(h.push(20, 50)).toBe(NO_VALUE)
    expect(h.push(40, 90)).toBe(NEW_VALUE)
    expect(values(h)).toEqual([
      [40, 2, 20],
      [10, 5, 0],
    ])
    expect(h.firstTs).toBe(10)
  })
  it('starts afresh on reset, changing layout between raw values and rates', () => {
    const h = new History('GAUGE', 10)
    h.ensure(2)
    h.push(0, 1)
    h.reset('DERIVE', 30)
    expect([h.size, h.step, h.lastTs, h.rates]).toEqual([0, 30, Number.NEGATIVE_INFINITY, true])
    h.push(30, 10)
    h.push(60, 4)
    expect(values(h)).toEqual([[60, -0.2, 30]])
  })
})
