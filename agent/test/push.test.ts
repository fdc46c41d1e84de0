import { describe, expect, it } from 'vitest'
import { checkPush, MAX_PUSH_POINTS } from '../src/push.ts'

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

describe('Open-Falcon push body', () => {
  it('accepts good points, aligned and with canonical tags', () => {
    const r = checkPush([good, { ...good, value: '7', tags: '', counterType: 'COUNTER' }], now)
    expect(r.errors).toEqual([])
    expect(r.accepted).toEqual([
      {
        series: { endpoint: 'h', metric: 'app.qps', tags: 'a=1,b=2', counterType: 'GAUGE', step: 60 },
        ts: 1_699_999_980,
        value: 12.5,
      },
      {
        series: { endpoint: 'h', metric: 'app.qps', tags: '', counterType: 'COUNTER', step: 60 },
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
})
