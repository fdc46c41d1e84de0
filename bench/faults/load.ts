import { setTimeout as sleep } from 'node:timers/promises'
import type { FalconPoint } from '@peregrine/common'

/** Endpoints of the load's points start with this, so counts leave out the agents' own metrics. */
export const LOAD_PREFIX = 'load-'
const SERIES_PER_PUSHER = 100
const TIMESTAMPS_PER_PUSH = 10
/** The pause before a push that was not acknowledged is sent again. */
const RETRY_MS = 250

/** What the pushers saw, in points, and what they had to retry. */
export interface PushTally {
  /** Points in pushes answered 2xx (the `accepted` of the answer). */
  acked: number
  /** Points the agent refused as bad (4xx, or `rejected` in a 2xx answer). */
  refused: number
  /** Pushes answered 503 (not acknowledged: sent again later). */
  busy: number
  /** Pushes that got no answer (agent down or unreachable: sent again later). */
  unreachable: number
}

export const emptyTally = (): PushTally => ({ acked: 0, refused: 0, busy: 0, unreachable: 0 })

/** The outcome of one push, added to `tally`; true when the agent acknowledged or refused it for good. */
export async function push(url: string, points: FalconPoint[], tally: PushTally): Promise<boolean> {
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      // fetch labels a string body text/plain, which the agent reads as text, not JSON.
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(points),
      signal: AbortSignal.timeout(10_000),
    })
  } catch {
    tally.unreachable++
    return false
  }
  const body = (await res.json().catch(() => ({}))) as { accepted?: number; rejected?: number }
  if (res.status === 503) {
    tally.busy++
    return false
  }
  if (res.ok) {
    tally.acked += body.accepted ?? points.length
    tally.refused += body.rejected ?? 0
  } else {
    tally.refused += points.length
  }
  return true
}

/**
 * `pushers` loops, each sending `SERIES_PER_PUSHER` series × `TIMESTAMPS_PER_PUSH` seconds per
 * push, every `intervalMs`. Every point is a distinct (series, timestamp), walking back from now a
 * second at a time, so that what is stored can be counted exactly against what was acknowledged.
 * A push that is not acknowledged is sent again, as Open-Falcon scripts do, until `stop()`.
 */
export type Load = ReturnType<typeof startLoad>

export function startLoad(o: { url: () => string; pushers: number; intervalMs: number }) {
  const tally = emptyTally()
  const start = Math.floor(Date.now() / 1000)
  let running = true
  const waiters: (() => void)[] = []
  const loop = async (pusher: number) => {
    for (let i = 0; running; i++) {
      const points = loadPoints(pusher, start - i * TIMESTAMPS_PER_PUSH)
      const begun = Date.now()
      const before = tally.acked
      while (running && !(await push(`${o.url()}/v1/push`, points, tally))) await sleep(RETRY_MS)
      if (tally.acked > before) for (const wake of waiters.splice(0)) wake()
      await sleep(Math.max(0, o.intervalMs - (Date.now() - begun)))
    }
  }
  const loops = Array.from({ length: o.pushers }, (_, p) => loop(p))
  return {
    tally,
    /** Resolves as the next push is acknowledged: the moment a crash costs the most. */
    acknowledged: () => new Promise<void>((resolve) => waiters.push(resolve)),
    async stop(): Promise<PushTally> {
      running = false
      await Promise.all(loops)
      return tally
    },
  }
}

function loadPoints(pusher: number, newest: number): FalconPoint[] {
  const points: FalconPoint[] = []
  for (let s = 0; s < SERIES_PER_PUSHER; s++)
    for (let t = 0; t < TIMESTAMPS_PER_PUSH; t++)
      points.push({
        endpoint: `${LOAD_PREFIX}${pusher}`,
        metric: 'fault.load',
        tags: `s=${s}`,
        timestamp: newest - t,
        step: 1,
        value: s + t,
        counterType: 'GAUGE',
      })
  return points
}
