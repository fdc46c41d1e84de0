import { describe, expect, it } from 'vitest'
import { RateLimit } from '../src/channels/rate-limit.ts'

describe('RateLimit', () => {
  it('lets `limit` through at once, then spaces the rest so no window holds more, in order', () => {
    const limit = new RateLimit(3, 60_000)
    const waits = Array.from({ length: 7 }, () => limit.reserve('alice', 1000))
    expect(waits).toEqual([0, 0, 0, 60_000, 60_000, 60_000, 120_000])
    expect(limit.reserve('alice', 61_000)).toBe(60_000)
  })

  it('counts per key', () => {
    const limit = new RateLimit(1, 60_000)
    expect(limit.reserve('email\0alice', 0)).toBe(0)
    expect(limit.reserve('email\0bob', 0)).toBe(0)
    expect(limit.reserve('slack\0alice', 0)).toBe(0)
    expect(limit.reserve('email\0alice', 10_000)).toBe(50_000)
  })

  it('forgets a key once its window has passed', () => {
    const limit = new RateLimit(2, 60_000)
    limit.reserve('alice', 0)
    limit.reserve('alice', 0)
    expect(limit.reserve('alice', 200_000)).toBe(0)
    expect(limit.reserve('alice', 200_000)).toBe(0)
  })

  it('does nothing at 0', () => {
    const limit = new RateLimit(0, 60_000)
    for (let i = 0; i < 100; i++) expect(limit.reserve('alice', 0)).toBe(0)
  })
})
