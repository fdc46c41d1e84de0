import { createHash } from 'node:crypto'
import type { AlertEvent } from '@peregrine/common/schema'
import type { Recipient } from './recipients.ts'

/** What one notification is made of: an event, or low-priority events merged over a window. */
export interface Batch {
  /** Idempotency key of the notification: the same on every alarm instance for the same content. */
  id: string
  recipient: Recipient
  events: AlertEvent[]
}

export interface MergePolicy {
  /** Priorities up to this one (P0 highest) are sent at once; lower ones merged. */
  immediateUpTo: number
  /** Length of a merge window, in seconds of event time. */
  windowSeconds: number
}

const hash = (...parts: (string | number)[]) =>
  createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)

/** The notification of one event alone to one recipient. */
export function singleId(event: AlertEvent, r: Recipient): string {
  return hash('one', event.id, r.receiver, r.channel, r.address)
}

/**
 * The merge group of an event for a recipient, or null when it goes at once (high priority, or
 * a callback).
 * Windows are aligned to event time, so alarm instances group alike. A notification's id is its
 * group and the events in it: when one group's events were shared between instances, each sends
 * what it holds (two messages, not one lost), and a group sent again after a crash is the same.
 */
export function groupOf(
  event: AlertEvent,
  r: Recipient,
  policy: MergePolicy,
): { key: string; closesAt: number } | null {
  // A callback is a remediation hook called per event: never merged.
  if (event.strategy.priority <= policy.immediateUpTo || r.channel === 'callback') return null
  const w = policy.windowSeconds
  const start = event.timestamp - (event.timestamp % w)
  const key = hash(
    'group',
    r.receiver,
    r.channel,
    r.address,
    event.strategy.priority,
    event.status,
    event.metric,
    start,
  )
  return { key, closesAt: start + w }
}

function batchId(groupKey: string, events: readonly AlertEvent[]): string {
  return hash(groupKey, ...events.map((e) => e.id).sort())
}

interface OpenGroup {
  recipient: Recipient
  events: AlertEvent[]
  timer: NodeJS.Timeout
  sent: Promise<void>
  release: (sent: Promise<void>) => void
}

/**
 * Holds low-priority events until their group's window closes (in wall-clock seconds, with a
 * grace for late arrivals), then hands the group over. A group whose window is already over when
 * its first event comes (a backlog) gathers for one window from then.
 */
export class Merger {
  readonly #open = new Map<string, OpenGroup>()

  constructor(
    private readonly policy: MergePolicy,
    private readonly graceMs: number,
    private readonly send: (batch: Batch) => Promise<void>,
  ) {}

  /**
   * Null when the event goes at once (not merged); else a promise that settles once the group it
   * joined was sent (or given up), which is when its message may be acknowledged.
   */
  add(event: AlertEvent, r: Recipient): Promise<void> | null {
    const g = groupOf(event, r, this.policy)
    if (g === null) return null
    const open = this.#open.get(g.key)
    if (open) {
      open.events.push(event)
      return open.sent
    }
    let release!: (sent: Promise<void>) => void
    const sent = new Promise<void>((resolve, reject) => {
      release = (p) => p.then(resolve, reject)
    })
    // A window already over (a backlog read late) gathers for one more window, not just the grace:
    // else every grace period of a backlog would be a message of its own.
    const left = g.closesAt * 1000 - Date.now()
    const due = left > 0 ? left + this.graceMs : this.policy.windowSeconds * 1000
    const timer = setTimeout(() => this.#close(g.key), due)
    this.#open.set(g.key, { recipient: r, events: [event], timer, sent, release })
    return sent
  }

  /** Groups still open. */
  get size(): number {
    return this.#open.size
  }

  /** Closes every group now (a clean stop sends what it holds). */
  closeAll(): void {
    for (const key of [...this.#open.keys()]) this.#close(key)
  }

  #close(key: string): void {
    const open = this.#open.get(key)
    if (!open) return
    clearTimeout(open.timer)
    this.#open.delete(key)
    open.release(this.send({ id: batchId(key, open.events), recipient: open.recipient, events: open.events }))
  }
}
