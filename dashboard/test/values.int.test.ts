import { fingerprint } from '@peregrine/common'
import { rollAllSamples } from '@peregrine/common/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApi, type TestApi } from '../src/testing.ts'

let api: TestApi
const now = Math.floor(Date.now() / 1000)
const hourAgo = now - (now % 60) - 3600

const get = async (url: string) => {
  const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${api.admin}` } })
  return { status: res.statusCode, body: res.json() }
}

/** Values at the edge of Float64: each is storable, their sum is not. */
beforeAll(async () => {
  api = await startTestApi({
    seed: async (store) => {
      const huge = fingerprint({ endpoint: 'edge', metric: 'huge', tags: '' })
      const wild = fingerprint({ endpoint: 'edge', metric: 'wild', tags: '' })
      const ahead = fingerprint({ endpoint: 'edge', metric: 'ahead', tags: '' })
      await store.insertTsv(
        'series',
        ['fp', 'endpoint', 'metric', 'tags', 'counter_type', 'step', 'last_seen'],
        [
          `${huge}\tedge\thuge\t\tGAUGE\t10\t${now}\n`,
          `${wild}\tedge\twild\t\tDERIVE\t10\t${now}\n`,
          `${ahead}\tedge\tahead\t\tGAUGE\t10\t${now}\n`,
        ].join(''),
      )
      await store.insertTsv(
        'samples',
        ['fp', 'ts', 'input'],
        [
          `${huge}\t${hourAgo}\t1.7e308\n${huge}\t${hourAgo + 10}\t1.7e308\n${huge}\t${hourAgo + 120}\t5\n`,
          `${wild}\t${now - 30}\t-1.7e308\n${wild}\t${now - 20}\t1.7e308\n`,
          `${ahead}\t${now - 20}\t1\n${ahead}\t${now + 300}\t2\n`,
        ].join(''),
      )
      await rollAllSamples(store)
    },
  })
})

afterAll(() => api?.dispose())

describe('values at the edges', () => {
  it('serves an average beyond Float64 as null in history and rollups, not a 500 for the metric', async () => {
    // Raw buckets hold one point each; a minute holds both huge values; the hour holds all three.
    const cases = [
      ['', [1.7e308, 1.7e308, 5]],
      ['&step=60', [null, 5]],
      ['&step=3600', [null]],
    ] as const
    for (const [step, expected] of cases) {
      const res = await get(
        `/api/v1/history?endpoint=edge&metric=huge&from=${hourAgo - 7200}&to=${now}${step}`,
      )
      expect(res.status, step).toBe(200)
      expect(res.body.series[0].values, step).toEqual(expected)
    }
  })

  it('serves a rate beyond Float64 as null', async () => {
    const last = await get('/api/v1/last?endpoint=edge&metric=wild')
    expect(last.status).toBe(200)
    expect(last.body.series[0]).toMatchObject({ timestamp: now - 20, value: null })
  })

  it('reads the last value only up to now', async () => {
    const last = await get('/api/v1/last?endpoint=edge&metric=ahead')
    expect(last.body.series[0]).toMatchObject({ timestamp: now - 20, value: 1 })
  })
})
