import { setTimeout as sleep } from 'node:timers/promises'
import { type Logger, rollTurn, type Store } from '@peregrine/common'
import type { CollectorMetrics } from './metrics.ts'

export interface RollerSettings {
  /** Milliseconds between turns. */
  intervalMs: number
  /** Seconds after a minute ends before it is rolled: points that late still make its first roll. */
  graceSeconds: number
}

export interface Roller {
  stop(): Promise<void>
}

/**
 * Rolls the samples into the rollups every `intervalMs`, off the insert path and on a connection
 * of its own (store.sibling), so that a long roll never holds up the batch writes. A failed turn
 * is logged and counted; what it did not mark rolled is rolled at a later turn.
 */
export function startRoller(
  store: Store,
  log: Logger,
  metrics: CollectorMetrics,
  settings: RollerSettings,
): Roller {
  const own = store.sibling()
  const stopped = new AbortController()
  const loop = (async () => {
    for (;;) {
      await sleep(settings.intervalMs, undefined, { signal: stopped.signal }).catch(() => undefined)
      if (stopped.signal.aborted) return
      await turn(own, log, metrics, settings.graceSeconds)
    }
  })()
  return {
    async stop() {
      stopped.abort()
      await loop
      await own.close()
    },
  }
}

async function turn(store: Store, log: Logger, metrics: CollectorMetrics, graceSeconds: number) {
  const end = metrics.rollSeconds.startTimer()
  try {
    const r = await rollTurn(store, Math.floor(Date.now() / 1000), graceSeconds)
    metrics.rollPending.set(r.waiting)
    if (r.minutes === 0) return
    metrics.rolls.inc(r.minutes)
    end()
  } catch (err) {
    metrics.rollFailures.inc()
    log.error({ err }, 'rolling the samples into the rollups failed; retrying at the next turn')
  }
}
