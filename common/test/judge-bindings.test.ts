import { describe, expect, it } from 'vitest'
import { Bindings } from '../src/judge/bindings.ts'
import { compileStrategy } from '../src/judge/conditions.ts'
import { NONE, PROBLEM } from '../src/judge/events.ts'
import { ChangeLogs } from '../src/judge/flapping.ts'
import { UNKNOWN } from '../src/judge/functions.ts'
import { Evaluator, type JudgeEvent } from '../src/judge/index.ts'
import { brief, strategy } from './judge-helpers.ts'

const compiled = compileStrategy(strategy({ id: 'x' }))

describe('bindings in columns', () => {
  it('grows, keeping what each binding holds', () => {
    const bs = new Bindings(null)
    const ids = Array.from({ length: 1000 }, (_, i) => bs.add(compiled, -1, i))
    for (const id of ids) bs.lastEventTs[id] = id * 10
    for (let i = 0; i < 1000; i++) bs.add(compiled, 0, 1000 + i)
    expect(ids).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(ids.map((id) => [bs.role[id], bs.series[id], bs.lastEventTs[id]])).toEqual(
      ids.map((i) => [-1, i, i * 10]),
    )
    expect([bs.role[1999], bs.series[1999], bs.strategy[1999]]).toEqual([0, 1999, compiled])
  })
  it('gives a released id out again, with no verdict, no state and no changes left', () => {
    const bs = new Bindings({ changes: 2, windowSeconds: 600 })
    const a = bs.add(compiled, -1, 7)
    const b = bs.add(compiled, -1, 8)
    const st = bs.state(a)
    st.status = PROBLEM
    st.step = 3
    st.lastEventTs = 60
    st.flapping = true
    st.recordChange(60)
    bs.truth[a] = 1
    bs.nodataStatus[a] = PROBLEM
    expect(bs.hasValueState(a)).toBe(true)
    bs.release(a)
    expect(bs.add(compiled, -1, 9)).toBe(a)
    expect([bs.series[a], bs.truth[a], bs.status[a], bs.step[a], bs.nodataStatus[a]]).toEqual([
      9,
      UNKNOWN,
      NONE,
      0,
      NONE,
    ])
    expect([bs.lastEventTs[a], bs.holdSince[a], bs.state(a).flapping]).toEqual([
      Number.NEGATIVE_INFINITY,
      Number.NaN,
      false,
    ])
    expect(bs.hasValueState(a)).toBe(false)
    expect(bs.add(compiled, -1, 10)).toBe(b + 1)
  })
})

describe('change logs', () => {
  it('keep the latest K + 1 changes of each key, and count those in the window', () => {
    const logs = new ChangeLogs({ changes: 2, windowSeconds: 100 })
    logs.grow(4)
    for (const ts of [10, 20, 30, 40, 50]) logs.record(1, ts)
    logs.record(3, 45)
    expect(logs.list(1)).toEqual([30, 40, 50])
    expect(logs.list(3)).toEqual([45])
    expect([logs.list(0), logs.count(0)]).toEqual([[], 0])
    expect(logs.within(1, 135)).toBe(2)
    expect(logs.within(1, 50)).toBe(3)
    expect(logs.within(1, 500)).toBe(0)
  })
  it('start a cleared key afresh, and keep keys apart when grown', () => {
    const logs = new ChangeLogs({ changes: 1, windowSeconds: 100 })
    logs.grow(1)
    logs.record(0, 5)
    logs.clear(0)
    expect(logs.count(0)).toBe(0)
    logs.grow(3)
    logs.record(2, 7)
    logs.record(0, 9)
    expect([logs.list(0), logs.list(1), logs.list(2)]).toEqual([[9], [], [7]])
  })
})

describe("a series' bindings as the strategies change", () => {
  const def = { endpoint: 'h1', metric: 'cpu.busy', tags: '', counterType: 'GAUGE' as const, step: 60 }
  it('keeps the others in order, with their state, when one in the middle is dropped; a new one starts afresh', () => {
    const [a, b, c, d] = [90, 80, 70, 60].map((threshold, i) => strategy({ id: `s${i}`, threshold }))
    const ev = new Evaluator()
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    const events = () => out.splice(0).map((e) => `${e.strategy} ${brief([e])[0]}`)
    ev.add(s, 0, 95, [a!, b!, c!], out)
    expect(events()).toEqual(['s0 0 PROBLEM 1 95', 's1 0 PROBLEM 1 95', 's2 0 PROBLEM 1 95'])
    ev.takeChanges()
    ev.syncStrategies([a!, c!])
    expect(ev.takeChanges().removed).toEqual([
      { kind: 'value', strategy: 's1', endpoint: 'h1', metric: 'cpu.busy', tags: '' },
    ])
    ev.add(s, 60, 75, [a!, c!, d!], out)
    // s2 is still PROBLEM (no repeat within its minimum interval); s3 takes the id s1 gave up.
    expect(events()).toEqual(['s0 60 OK 1 75', 's3 60 PROBLEM 1 75'])
  })
})
