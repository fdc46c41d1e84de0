import { describe, expect, it } from 'vitest'
import { Evaluator, type JudgeEvent, JudgeSnapshotSchema } from '../src/judge/index.ts'
import { brief, strategy } from './judge-helpers.ts'

const def = { endpoint: 'h1', metric: 'cpu.busy', tags: 'core=0', counterType: 'GAUGE' as const, step: 60 }
const list = [strategy({ id: 'cpu-high', nodata: '3m', hold: '1m', minIntervalSeconds: 600 })]

/** Points fed to a fresh or restored evaluator; its events. */
function feed(ev: Evaluator, pts: [number, number][], now?: number): string[] {
  const s = ev.series(def)
  const out: JudgeEvent[] = []
  for (const [t, v] of pts) ev.add(s, t, v, list, out)
  if (now !== undefined) ev.checkNodata(now, out)
  return brief(out)
}

/** Through JSON, as a store would keep it. */
const stored = (ev: Evaluator) => JSON.parse(JSON.stringify(ev.snapshot())) as unknown

describe('durable event state', () => {
  it('a restored judge does not send the PROBLEM again, and does not lose the OK', () => {
    const a = new Evaluator()
    expect(
      feed(a, [
        [0, 95],
        [60, 95],
      ]),
    ).toEqual(['60 PROBLEM 1 95'])
    const snap = stored(a)
    expect(JudgeSnapshotSchema.parse(snap).states).toEqual([
      {
        kind: 'value',
        strategy: 'cpu-high',
        endpoint: 'h1',
        metric: 'cpu.busy',
        tags: 'core=0',
        status: 'PROBLEM',
        step: 1,
        lastEventTs: 60,
        holdSince: 0,
        flapping: false,
        changes: [60],
      },
    ])
    // A fresh judge would raise it again (hold satisfied by 60, 120) ...
    expect(
      feed(new Evaluator(), [
        [60, 95],
        [120, 95],
      ]),
    ).toEqual(['120 PROBLEM 1 95'])
    // ... the restored one, replaying from 0, does not; and it sends the OK
    const b = new Evaluator()
    b.restore(snap)
    expect(
      feed(b, [
        [0, 95],
        [60, 95],
        [120, 95],
        [180, 10],
      ]),
    ).toEqual(['180 OK 1 10'])
  })
  it('restores into series already held as well as into series seen later', () => {
    const a = new Evaluator()
    feed(a, [
      [0, 95],
      [60, 95],
    ])
    const b = new Evaluator()
    feed(b, [[0, 95]]) // the series and its binding exist, hold pending
    b.restore(stored(a))
    expect(
      feed(b, [
        [120, 95],
        [180, 10],
      ]),
    ).toEqual(['180 OK 1 10'])
  })
  it('keeps no-data state: no second no-data PROBLEM after a restart, and its OK when data comes back', () => {
    const a = new Evaluator()
    expect(feed(a, [[0, 5]], 1000)).toEqual(['180 PROBLEM 1 null nodata'])
    const b = new Evaluator()
    b.restore(stored(a))
    expect(feed(b, [], 2000)).toEqual([])
    expect(feed(b, [[2040, 5]], 2041)).toEqual(['2040 OK 1 null nodata'])
  })
  it('reports the keys changed since the last snapshot, and the keys gone', () => {
    const ev = new Evaluator()
    feed(ev, [[0, 10]])
    expect(ev.takeChanges()).toEqual({ changed: [], removed: [] })
    feed(ev, [[60, 95]]) // hold starts: persisted
    expect(ev.takeChanges().changed.map((s) => [s.status, s.holdSince])).toEqual([[null, 60]])
    feed(ev, [[120, 95]])
    expect(ev.takeChanges().changed.map((s) => [s.status, s.lastEventTs])).toEqual([['PROBLEM', 120]])
    feed(ev, [[180, 95]]) // nothing new to keep
    expect(ev.takeChanges()).toEqual({ changed: [], removed: [] })
    feed(ev, [[240, 95]])
    ev.snapshot()
    expect(ev.takeChanges().changed).toEqual([])
    ev.syncStrategies([])
    expect(ev.takeChanges()).toEqual({
      changed: [],
      removed: [{ kind: 'value', strategy: 'cpu-high', endpoint: 'h1', metric: 'cpu.busy', tags: 'core=0' }],
    })
  })
  it('drops restored states of strategies that no longer exist', () => {
    const a = new Evaluator()
    feed(a, [
      [0, 95],
      [60, 95],
    ])
    const b = new Evaluator()
    b.restore(stored(a))
    b.syncStrategies([strategy({ id: 'other' })])
    expect(b.snapshot().states).toEqual([])
    expect(b.takeChanges().removed).toEqual([])
  })
  it('refuses a snapshot that is not one', () => {
    const ev = new Evaluator()
    expect(() => ev.restore({ v: 2, states: [] })).toThrow()
    expect(() => ev.restore({ v: 1, states: [{ kind: 'value', strategy: 'x' }] })).toThrow()
    const state = { kind: 'value', strategy: 'x', endpoint: 'h', metric: 'm', tags: '', status: 'FIRING' }
    expect(() => ev.restore({ v: 1, states: [{ ...state, step: 1, lastEventTs: 0 }] })).toThrow()
    expect(() => ev.restore({ v: 1, states: [], extra: true })).toThrow()
  })
})

describe('strategy changes', () => {
  it('keeps a key state across an edit of its strategy (same id), and drops it when the strategy goes', () => {
    const ev = new Evaluator()
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    const v1 = [strategy({ id: 'k', minIntervalSeconds: 0 })]
    const v2 = [strategy({ id: 'k', minIntervalSeconds: 0, threshold: 80, maxNotifications: 2 })]
    ev.add(s, 0, 95, v1, out)
    ev.add(s, 60, 85, v2, out) // the edit: still PROBLEM, step 2
    ev.add(s, 120, 85, v2, out) // maxNotifications 2 reached
    ev.add(s, 180, 95, [], out) // no strategy: nothing
    ev.add(s, 240, 95, v2, out) // bound again: a new key
    expect(brief(out)).toEqual(['0 PROBLEM 1 95', '60 PROBLEM 2 85', '240 PROBLEM 1 95'])
  })
  it('uses the new nodata of an edited strategy for a series that stopped reporting', () => {
    const ev = new Evaluator()
    const s = ev.series(def)
    const out: JudgeEvent[] = []
    ev.add(s, 0, 5, [strategy({ id: 'k', nodata: '1h' })], out)
    ev.syncStrategies([strategy({ id: 'k', nodata: '3m' })])
    ev.checkNodata(1000, out)
    expect(brief(out)).toEqual(['180 PROBLEM 1 null nodata'])
  })
  it('starts the history afresh when a series changes counter type or step', () => {
    const ev = new Evaluator()
    const out: JudgeEvent[] = []
    const l = [strategy({ window: '#2', minIntervalSeconds: 0 })]
    ev.add(ev.series(def), 0, 95, l, out)
    ev.add(ev.series({ ...def, step: 30 }), 30, 95, l, out)
    ev.add(ev.series({ ...def, step: 30 }), 60, 95, l, out)
    expect(brief(out)).toEqual(['60 PROBLEM 1 95'])
  })
})

describe('warm-up after a takeover', () => {
  const avg = [strategy({ id: 'avg-high', fn: 'avg', window: '#3', threshold: 50 })]
  const d = { ...def, metric: 'cpu.busy' }

  it('fills the window from points another judge evaluated, without events and without touching state', () => {
    const a = new Evaluator()
    const out: JudgeEvent[] = []
    const s = a.series(d)
    for (const [t, v] of [
      [0, 90],
      [60, 90],
      [120, 90],
    ] as const)
      a.add(s, t, v, avg, out)
    expect(brief(out)).toEqual(['120 PROBLEM 1 90'])

    // The successor restores the state, then replays: older points only fill the window, even
    // those whose verdict would have been an OK at the time.
    const b = new Evaluator()
    b.restore(stored(a))
    const h = b.series(d)
    for (const [t, v] of [
      [0, 0],
      [60, 90],
      [120, 90],
    ] as const)
      expect(b.warm(h, t, v, avg)).toBe(true)
    expect(b.warm(h, 120, 1, avg)).toBe(false) // not newer: ignored like any stale point
    expect(b.takeChanges()).toEqual({ changed: [], removed: [] })
    // The window is full: the first live point is judged on it (avg(90, 90, 0) = 60 > 50).
    const live: JudgeEvent[] = []
    b.add(h, 180, 0, avg, live)
    expect(brief(live)).toEqual([])
    b.add(h, 240, 0, avg, live)
    expect(brief(live)).toEqual(['240 OK 1 30'])
  })
})
