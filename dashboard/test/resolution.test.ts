import { describe, expect, it } from 'vitest'
import { chooseResolution, TARGET_POINTS } from '../src/resolution.ts'

const now = 1_800_000_000
const day = 86_400
const retention = { rawDays: 30, rollup1mDays: 180 }
/** A range of `span` seconds ending now (so `from` is recent unless the span is long). */
const last = (span: number, step?: number) => ({ from: now - span, to: now, step })
const choose = (q: { from: number; to: number; step?: number | undefined }, nativeStep = 10) =>
  chooseResolution(q, nativeStep, retention, now)

describe('chooseResolution without a step', () => {
  it('reads raw points at the native step for short ranges', () => {
    expect(choose(last(3600))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(last(60))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(last(3600), 60)).toEqual({ resolution: 'raw', interval: 60 })
  })

  it('stays raw while the native step gives at most TARGET_POINTS, then moves to 1m', () => {
    expect(choose(last(TARGET_POINTS * 10))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(last(TARGET_POINTS * 10 + 10))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(last(6 * 3600))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(last(day))).toEqual({ resolution: '1m', interval: 60 })
  })

  it('moves to 1h when even 1-minute buckets exceed TARGET_POINTS', () => {
    expect(choose(last(TARGET_POINTS * 60))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(last(TARGET_POINTS * 60 + 60))).toEqual({ resolution: '1h', interval: 3600 })
    expect(choose(last(2 * day))).toEqual({ resolution: '1h', interval: 3600 })
  })

  it('widens 1h buckets past an hour when the range needs more than TARGET_POINTS hours', () => {
    // 400 days / 2000 = 17280 s, rounded up to whole hours.
    expect(choose(last(400 * day))).toEqual({ resolution: '1h', interval: 18_000 })
    const { interval } = choose(last(400 * day))
    expect((400 * day) / interval).toBeLessThanOrEqual(TARGET_POINTS)
  })
})

describe('chooseResolution with a step', () => {
  it('uses raw under a minute, at a multiple of the native step', () => {
    expect(choose(last(3600, 30))).toEqual({ resolution: 'raw', interval: 30 })
    expect(choose(last(3600, 10))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(last(3600, 45))).toEqual({ resolution: 'raw', interval: 50 })
    // Never finer than the data.
    expect(choose(last(3600, 5))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(last(3600, 30), 60)).toEqual({ resolution: 'raw', interval: 60 })
    expect(choose(last(3600, 40), 15)).toEqual({ resolution: 'raw', interval: 45 })
  })

  it('uses the 1-minute rollup from a minute up to an hour', () => {
    expect(choose(last(3600, 60))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(last(3600, 300))).toEqual({ resolution: '1m', interval: 300 })
    expect(choose(last(3600, 90))).toEqual({ resolution: '1m', interval: 120 })
    expect(choose(last(3600, 3599))).toEqual({ resolution: '1m', interval: 3600 })
  })

  it('uses the hourly rollup from an hour on', () => {
    expect(choose(last(day, 3600))).toEqual({ resolution: '1h', interval: 3600 })
    expect(choose(last(day, 7200))).toEqual({ resolution: '1h', interval: 7200 })
    expect(choose(last(day, 5000))).toEqual({ resolution: '1h', interval: 7200 })
  })

  it('follows the step even when it gives more than TARGET_POINTS', () => {
    expect(choose(last(2 * day, 10))).toEqual({ resolution: 'raw', interval: 10 })
  })
})

describe('chooseResolution and retention', () => {
  const hourAt = (from: number, step?: number) => ({ from, to: from + 3600, step })

  it('skips raw points once `from` is older than their retention', () => {
    expect(choose(hourAt(now - 30 * day))).toEqual({ resolution: 'raw', interval: 10 })
    expect(choose(hourAt(now - 30 * day - 1))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(hourAt(now - 31 * day, 30))).toEqual({ resolution: '1m', interval: 60 })
  })

  it('skips the 1-minute rollup once `from` is older than its retention', () => {
    expect(choose(hourAt(now - 180 * day))).toEqual({ resolution: '1m', interval: 60 })
    expect(choose(hourAt(now - 181 * day))).toEqual({ resolution: '1h', interval: 3600 })
    expect(choose(hourAt(now - 181 * day, 30))).toEqual({ resolution: '1h', interval: 3600 })
    expect(choose(hourAt(now - 181 * day, 300))).toEqual({ resolution: '1h', interval: 3600 })
  })

  it('honours other retention settings', () => {
    const short = { rawDays: 1, rollup1mDays: 7 }
    expect(chooseResolution(hourAt(now - 2 * day), 10, short, now)).toEqual({
      resolution: '1m',
      interval: 60,
    })
    expect(chooseResolution(hourAt(now - 8 * day), 10, short, now)).toEqual({
      resolution: '1h',
      interval: 3600,
    })
  })
})

describe('chooseResolution intervals', () => {
  it('are always a positive multiple of the chosen table’s base', () => {
    const base = (r: string, native: number) => (r === 'raw' ? native : r === '1m' ? 60 : 3600)
    const spans = [60, 601, 3600, 20_000, 20_010, 86_400, 120_060, 7 * day, 90 * day, 400 * day]
    const steps = [undefined, 1, 7, 10, 29, 59, 60, 61, 299, 3599, 3600, 3601, 86_400]
    const ages = [0, 10 * day, 31 * day, 200 * day]
    for (const native of [1, 10, 15, 60])
      for (const span of spans)
        for (const step of steps)
          for (const age of ages) {
            const q = { from: now - age - span, to: now - age, step }
            const { resolution, interval } = chooseResolution(q, native, retention, now)
            const what = JSON.stringify({ native, span, step, age, resolution, interval })
            expect(interval % base(resolution, native), what).toBe(0)
            expect(interval, what).toBeGreaterThanOrEqual(base(resolution, native))
            if (step !== undefined) expect(interval, what).toBeGreaterThanOrEqual(step)
          }
  })
})
