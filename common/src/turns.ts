import { setImmediate as nextTurn } from 'node:timers/promises'

/**
 * Gives the event loop a turn at most every `everyMs` of work. An async iterator of buffered
 * messages hands them over without a macrotask in between, so a loop over one starves timers and
 * I/O (acks, lease renewals, the API of an all-in-one) until the buffer is empty. Shared by every
 * loop of a process, so that many loops together are bounded too.
 */
export class EventLoopTurns {
  #since = performance.now()

  constructor(private readonly everyMs = 5) {}

  /** Resolves at once, or after a turn when the loop has been busy long enough. */
  async take(): Promise<void> {
    if (performance.now() - this.#since <= this.everyMs) return
    await nextTurn()
    this.#since = performance.now()
  }
}

/** The process's one budget: every message loop takes its turns from it. */
export const eventLoopTurns = new EventLoopTurns()
