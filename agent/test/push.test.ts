import { describe, expect, it } from 'vitest'
import { SeriesDefinitions } from '../src/definitions.ts'
import { checkPush as check, MAX_PUSH_POINTS } from '../src/push.ts'

const now = 1_700_000_123
const good = {
  endpoint: 'h',
  metric: 'app.qps',
  timestamp: 1_700_000_005,
  step: 60,
  value: 12.5,
  counterType: 'GAUGE',
  tags: 'b=2,a=1',
}

/** Each push checked by a fresh agent, except where a test says otherwise. */
const checkPush = (body: unknown, at: number) => check(body, at, new SeriesDefinitions())

describe('Open-Falcon push body', () => {
  it('accepts good points, aligned and with canonical tags', () => {
    const r = checkPush([good, { ...good, value: '7', tags: 'c=3', counterType: 'COUNTER' }], now)
    expect(r.errors).toEqual([])
    expect(r.accepted).toEqual([
      {
        series: { endpoint: 'h', metric: 'app.qps', tags: 'a=1,b=2', counterType: 'GAUGE', step: 60 },
        ts: 1_699_999_980,
        value: 12.5,
      },
      {
        series: { endpoint: 'h', metric: 'app.qps', tags: 'c=3', counterType: 'COUNTER', step: 60 },
        ts: 1_699_999_980,
        value: 7,
      },
    ])
  })

  it('reports each bad point by index and field and keeps the others', () => {
    const body = [
      good,
      { ...good, metric: '' },
      { ...good, endpoint: 42 },
      { ...good, counterType: 'ABSOLUTE' },
      { ...good, step: -1 },
      { ...good, value: 'NaN' },
      { ...good, tags: 'novalue' },
      { ...good, metric: 'm'.repeat(511), tags: '' },
      'not an object',
      { ...good, timestamp: 0 },
    ]
    const r = checkPush(body, now)
    expect(r.errors.map((e) => [e.index, e.field])).toEqual([
      [1, 'metric'],
      [2, 'endpoint'],
      [3, 'counterType'],
      [4, 'step'],
      [5, 'value'],
      [6, 'tags'],
      [7, 'metric'],
      [8, 'point'],
    ])
    expect(r.accepted).toHaveLength(2)
    expect(r.accepted[1]?.ts).toBe(now - (now % 60))
  })

  it('refuses a body that is not an array, or too large', () => {
    expect(checkPush({ a: 1 }, now).errors[0]?.field).toBe('body')
    expect(checkPush(new Array(MAX_PUSH_POINTS + 1).fill(good), now).errors[0]?.field).toBe('body')
  })

  it('refuses a point that would change the counterType or step of a series it sent before', () => {
    const definitions = new SeriesDefinitions()
    expect(check([good], now, definitions).errors).toEqual([])
    const r = check(
      [
        { ...good, tags: 'a=1,b=2', timestamp: good.timestamp + 60 },
        { ...good, counterType: 'COUNTER' },
        { ...good, step: 10 },
        { ...good, metric: 'app.qps2', step: 10 },
      ],
      now,
      definitions,
    )
    expect(r.errors.map((e) => [e.index, e.field])).toEqual([
      [1, 'counterType'],
      [2, 'step'],
    ])
    expect(r.errors[0]?.error).toMatch(/sent as GAUGE with step 60/)
    expect(r.accepted.map((p) => p.series.metric)).toEqual(['app.qps', 'app.qps2'])
  })

  it('refuses points older than storage keeps', () => {
    const oldest = now - 730 * 86_400
    const r = check(
      [
        { ...good, timestamp: oldest - 60 },
        { ...good, timestamp: oldest + 60 },
      ],
      now,
      new SeriesDefinitions(),
      oldest,
    )
    expect(r.errors.map((e) => [e.index, e.field])).toEqual([[0, 'timestamp']])
    expect(r.accepted).toHaveLength(1)
  })
})
