import { setTimeout as sleep } from 'node:timers/promises'
import { fingerprint, markRanges, rollTurn } from '@peregrine/common'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOLD_MS } from '../src/rollup-horizon.ts'
import { startTestApi, type TestApi } from '../src/testing.ts'

// Points every 10 s over the last 40 minutes: the newest minutes not rolled yet, as after a
// collector wrote them; the older ones written late (recorded, not rolled) or rolled.
const now = Math.floor(Date.now() / 1000)
const first = now - (now % 60) - 40 * 60
const fp = fingerprint({ endpoint: 'fresh', metric: 'm', tags: '' })
const times = Array.from({ length: 240 }, (_, k) => first + k * 10).filter((t) => t <= now)
const valueAt = (t: number) => ((t / 10) % 7) + 0.25

let api: TestApi
const minutes = async () => {
  const res = await api.app.inject({
    method: 'GET',
    url: `/api/v1/history?endpoint=fresh&metric=m&from=${first}&to=${now}&step=60`,
    headers: { authorization: `Bearer ${api.admin}` },
  })
  const [series] = res.json().series as { timestamps: number[]; values: number[] }[]
  return series!
}
/** The minutes' averages as the points make them. */
function expected() {
  const byMinute = new Map<number, number[]>()
  for (const t of times) byMinute.set(t - (t % 60), [...(byMinute.get(t - (t % 60)) ?? []), valueAt(t)])
  return {
    timestamps: [...byMinute.keys()],
    values: [...byMinute.values()].map((vs) => vs.reduce((a, v) => a + v, 0) / vs.length),
  }
}

beforeAll(async () => {
  api = await startTestApi({
    seed: async (store) => {
      await store.insertTsv(
        'series',
        ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
        `${fp}\tfresh\tm\t\tGAUGE\t10\t${now}\n`,
      )
      await store.insertTsv(
        'samples',
        ['fp', 'ts', 'input'],
        times.map((t) => `${fp}\t${t}\t${valueAt(t)}\n`).join(''),
      )
    },
  })
})
afterAll(() => api?.dispose())

describe('history from a rollup', () => {
  it('answers the minutes the roller has not rolled yet from the samples, whole', async () => {
    // Nothing rolled, nothing recorded: the newest five minutes come from the samples, the older
    // ones are not in the rollup (as when nothing was written there).
    const before = await minutes()
    const cut = now - 300 - ((now - 300) % 60)
    expect(before.timestamps).toEqual(expected().timestamps.filter((t) => t >= cut))
    // Recorded as written (what the collector does): every minute from the oldest recorded on.
    await markRanges(api.store, [[first, now - (now % 60)]])
    // The dashboard reads what is not rolled at most every HOLD_MS.
    await sleep(HOLD_MS)
    const recorded = await minutes()
    expect(recorded.timestamps).toEqual(expected().timestamps)
    for (const [k, v] of recorded.values.entries()) expect(v).toBeCloseTo(expected().values[k]!, 12)
    // Rolled (all but the newest minutes, which stay open): the same answer.
    while ((await rollTurn(api.store, now, 30)).minutes > 0);
    const rolled = await minutes()
    expect(rolled.timestamps).toEqual(recorded.timestamps)
    for (const [k, v] of rolled.values.entries()) expect(v).toBeCloseTo(recorded.values[k]!, 12)
  })
})
