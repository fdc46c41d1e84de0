import { describe, expect, it } from 'vitest'
import { StrategyCreate, StrategySpec, StrategyView } from '../src/schema.ts'

const base = { name: 'cpu-and-load', metric: 'cpu.busy', fn: 'all', window: '#3', threshold: 90, node: null }
const load = { metric: 'load.1min', fn: 'avg', window: '5m', operator: '>', threshold: 4 }

const issues = (body: unknown) =>
  StrategyCreate.safeParse(body).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? []

describe('compound strategies in the model', () => {
  it('accepts up to four extra conditions, with their defaults and canonical tags', () => {
    const s = StrategyCreate.parse({ ...base, also: [{ ...load, tags: 'b=2, a=1' }], combine: 'or' })
    expect(s.also).toEqual([{ ...load, tags: 'a=1,b=2' }])
    expect(s.combine).toBe('or')
    const four = StrategyCreate.parse({ ...base, also: [load, load, load, { ...load, operator: undefined }] })
    expect(four.also?.[3]?.operator).toBe('>')
    expect(four.combine).toBeUndefined()
  })
  it('leaves strategies without extra conditions as they were', () => {
    const s = StrategySpec.parse({ ...base, node: undefined })
    expect('also' in s || 'combine' in s).toBe(false)
  })
  it('refuses unknown fields, too many conditions, combine alone and their own rule breaches', () => {
    expect(issues({ ...base, also: [{ ...load, treshold: 1 }] })).toEqual([
      'also.0: Unrecognized key: "treshold"',
    ])
    expect(issues({ ...base, also: [load, load, load, load, load] })[0]).toMatch(/^also: /)
    expect(issues({ ...base, also: [] })[0]).toMatch(/^also: /)
    expect(issues({ ...base, combine: 'or' })).toEqual(['combine: combine needs extra conditions (also)'])
    expect(issues({ ...base, also: [load], combine: 'xor' })[0]).toMatch(/^combine: /)
    expect(issues({ ...base, also: [{ ...load, fn: 'lookup', window: '#3' }] })).toEqual([
      'also.0.hits: lookup needs hits (M of N)',
    ])
    expect(issues({ ...base, also: [{ ...load, hits: 2 }] })).toEqual([
      'also.0.hits: hits is only for lookup',
    ])
    expect(issues({ ...base, also: [{ ...load, tags: 'novalue' }] })[0]).toMatch(/^also.0.tags: /)
    expect(issues({ ...base, also: [{ ...load, window: '#0' }] })[0]).toMatch(/^also.0.window: /)
  })
  it('shows extra conditions in the API view', () => {
    const view = StrategyView.parse({
      ...StrategyCreate.parse({ ...base, also: [load] }),
      id: 's1',
      node: null,
      revision: 1,
    })
    expect(view.also).toEqual([{ ...load, tags: '' }])
  })
})
