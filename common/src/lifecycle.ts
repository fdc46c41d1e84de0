import type { Logger } from './log.ts'

export interface Stoppable {
  stop(): Promise<void> | void
}

/**
 * Stops the parts in reverse order of start on SIGINT/SIGTERM, each waited for, so nothing in
 * flight is lost; a second signal exits at once.
 */
export function stopOnSignals(log: Logger, parts: Stoppable[]): void {
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    stopping = true
    log.info({ signal }, 'stopping')
    for (const p of [...parts].reverse()) {
      try {
        await p.stop()
      } catch (err) {
        log.error({ err }, 'error while stopping')
      }
    }
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}
