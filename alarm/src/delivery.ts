import { setMaxListeners } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Registry } from '@peregrine/common/metrics'
import PQueue from 'p-queue'
import { Counter, Gauge } from 'prom-client'
import { errorText, PermanentSendError, TransientSendError } from './channels/errors.ts'
import { RateLimit } from './channels/rate-limit.ts'
import { CHANNEL_NEEDS } from './channels/registry.ts'
import {
  CHANNEL_TYPES,
  type Channel,
  type ChannelRegistry,
  type ChannelType,
  type Message,
  type Notification,
} from './channels/types.ts'
import { type ChannelConfig, channelSettings } from './config.ts'
import { render } from './render.ts'

/**
 * What became of one attempt: `sent`; `retrying`, it failed and another follows; `dead`, it
 * failed for good (permanently, or the last allowed attempt) — the dead letter; `failed`, it
 * failed while the service stops, so this instance tries no more and the event, left
 * unacknowledged, is delivered again (here after a restart, or by another instance).
 */
export type Outcome = 'sent' | 'failed' | 'retrying' | 'dead'

export interface Attempt {
  notificationId: string
  channel: ChannelType
  receiver: string
  address: string
  /** 1 for the first. */
  attempt: number
  outcome: Outcome
  error?: string
  /** Unix milliseconds. */
  at: number
}

export interface DeliveryResult {
  outcome: 'sent' | 'dead'
  attempts: number
  error?: string
}

export interface StopReport {
  /** Notifications given up by this stop (their send() rejected with DeliveryStoppedError). */
  left: { notificationId: string; channel: ChannelType; receiver: string; state: State }[]
}

/** Too many notifications held: the caller leaves the event unacknowledged, to be delivered again later. */
export class QueueFullError extends Error {
  override name = 'QueueFullError'
}

/** The notification was not finished because delivery stopped; its event must be delivered again. */
export class DeliveryStoppedError extends Error {
  override name = 'DeliveryStoppedError'
}

export interface DeliveryDeps {
  channels: ChannelRegistry
  registry: Registry
  /** Called for every attempt, in order per notification; it must not throw. */
  onAttempt(a: Attempt): void
}

type DeliverySettings = Pick<
  ChannelConfig,
  | 'dashboardUrl'
  | 'concurrency'
  | 'rateLimit'
  | 'rateWindowMs'
  | 'maxAttempts'
  | 'retryBaseMs'
  | 'retryMaxMs'
  | 'queueLimit'
  | 'sendTimeoutMs'
  | 'stopTimeoutMs'
>

/** `waiting`: for its turn (rate limit, backoff, the channel's queue); `sending`: an attempt in flight. */
type State = 'waiting' | 'sending'
interface Entry {
  n: Notification
  state: State
}

/**
 * Sends notifications through their channels: one p-queue per channel type bounds the sends in
 * flight, a rate limit per address and channel spaces them, transient failures are retried with
 * exponential backoff up to ALARM_MAX_ATTEMPTS, and every attempt is reported. Memory is bounded
 * by ALARM_QUEUE_LIMIT notifications; past it `send` refuses.
 */
export class Delivery {
  private readonly queues = new Map<ChannelType, PQueue>()
  private readonly pending = new Map<Entry, Promise<DeliveryResult>>()
  private readonly rateLimit: RateLimit
  private readonly attempts: Counter<'channel' | 'outcome'>
  /** Aborted when stop begins: every wait (rate limit, backoff, a queue) ends at once. */
  private readonly stopping = new AbortController()
  /** Aborted when stop's time is up: attempts in flight are abandoned. */
  private readonly abandon = new AbortController()
  private stopped = false

  constructor(
    private readonly c: DeliverySettings,
    private readonly deps: DeliveryDeps,
  ) {
    this.rateLimit = new RateLimit(c.rateLimit, c.rateWindowMs)
    // One listener per attempt in flight: as many as the queues' concurrency allows.
    setMaxListeners(0, this.abandon.signal)
    this.attempts = new Counter({
      name: 'peregrine_alarm_attempts_total',
      help: 'Delivery attempts by channel and outcome (sent, retrying, failed, dead)',
      labelNames: ['channel', 'outcome'],
      registers: [deps.registry],
    })
    const pending = this.pending
    new Gauge({
      name: 'peregrine_alarm_queue_length',
      help: 'Notifications held (waiting or in flight) by channel',
      labelNames: ['channel'],
      registers: [deps.registry],
      collect() {
        const counts = new Map<string, number>(CHANNEL_TYPES.map((t) => [t, 0]))
        for (const { n } of pending.keys()) counts.set(n.channel, (counts.get(n.channel) ?? 0) + 1)
        for (const [channel, count] of counts) this.set({ channel }, count)
      },
    })
  }

  /**
   * Resolves once the notification is sent or dead (every attempt reported on the way). Rejects
   * with QueueFullError when ALARM_QUEUE_LIMIT notifications are held, with DeliveryStoppedError
   * when delivery stops first: in both cases the event must be delivered again.
   */
  send(n: Notification): Promise<DeliveryResult> {
    if (this.stopping.signal.aborted)
      return Promise.reject(new DeliveryStoppedError(`delivery has stopped: ${n.id}`))
    if (this.pending.size >= this.c.queueLimit)
      return Promise.reject(
        new QueueFullError(`${this.pending.size} notifications held (ALARM_QUEUE_LIMIT); ${n.id} refused`),
      )
    const entry: Entry = { n, state: 'waiting' }
    const done = this.deliver(entry).finally(() => this.pending.delete(entry))
    this.pending.set(entry, done)
    return done
  }

  /**
   * Stops taking notifications, gives up those waiting, lets attempts in flight finish for up to
   * `timeoutMs`, then abandons them; closes the channels. Says what was left.
   */
  async stop(timeoutMs = this.c.stopTimeoutMs): Promise<StopReport> {
    this.stopping.abort()
    const waiting = [...this.pending.keys()].filter((e) => e.state === 'waiting')
    await this.settled(timeoutMs)
    const sending = [...this.pending.keys()].filter((e) => e.state === 'sending')
    this.abandon.abort(new DeliveryStoppedError('abandoned: the service stopped'))
    // Abandoned attempts end at once (channels honour the signal); a second is plenty.
    await this.settled(1000)
    this.stopped = true
    await Promise.allSettled([...this.deps.channels.values()].map((ch) => ch.close?.()))
    const left = [...waiting, ...sending].map(({ n, state }) => ({
      notificationId: n.id,
      channel: n.channel,
      receiver: n.receiver,
      state,
    }))
    return { left }
  }

  private async deliver(entry: Entry): Promise<DeliveryResult> {
    const { n } = entry
    const channel = this.deps.channels.get(n.channel)
    if (!channel) return this.dead(n, 1, missing(n.channel))
    const message = render(n.events, { dashboardUrl: this.c.dashboardUrl, ackUrl: n.ackUrl })
    // By address, not receiver: a team's robot shared by its members is one DingTalk robot with one
    // limit. An urgent one (high priority) never waits behind a storm of low ones.
    if (!n.urgent) await this.wait(this.rateLimit.reserve(`${n.channel}\0${n.address}`, Date.now()))
    for (let attempt = 1; ; attempt++) {
      entry.state = 'waiting'
      const failure = await this.attempt(entry, channel, message)
      if (failure === undefined) {
        this.report(n, attempt, 'sent')
        return { outcome: 'sent', attempts: attempt }
      }
      if (entry.state === 'waiting')
        throw new DeliveryStoppedError(`delivery stopped before ${n.id} was sent`)
      if (failure instanceof PermanentSendError || attempt >= this.c.maxAttempts)
        return this.dead(n, attempt, failure)
      if (this.stopping.signal.aborted) {
        this.report(n, attempt, 'failed', failure)
        throw new DeliveryStoppedError(`delivery stopped while ${n.id} was being sent`)
      }
      this.report(n, attempt, 'retrying', failure)
      await this.wait(this.backoff(attempt, failure))
    }
  }

  /** One attempt in the channel's queue: undefined when sent, else why not. */
  private async attempt(entry: Entry, channel: Channel, message: Message): Promise<unknown> {
    try {
      // Not p-queue's own signal: it would also cut short the attempts in flight, which stop lets finish.
      await this.queue(entry.n.channel).add(() => {
        this.stopping.signal.throwIfAborted()
        entry.state = 'sending'
        return this.timed((signal) => channel.send(entry.n, message, signal))
      })
      return undefined
    } catch (err) {
      return err
    }
  }

  /** Runs `send` with a signal that aborts when the attempt's time is up or when stop abandons it. */
  private async timed(send: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ms = this.c.sendTimeoutMs
    const attempt = new AbortController()
    const timer = setTimeout(() => attempt.abort(new TransientSendError(`no answer within ${ms} ms`)), ms)
    const abandon = () => attempt.abort(this.abandon.signal.reason)
    this.abandon.signal.addEventListener('abort', abandon, { once: true })
    try {
      await send(attempt.signal)
    } finally {
      clearTimeout(timer)
      this.abandon.signal.removeEventListener('abort', abandon)
    }
  }

  private dead(n: Notification, attempt: number, failure: unknown): DeliveryResult {
    this.report(n, attempt, 'dead', failure)
    return { outcome: 'dead', attempts: attempt, error: errorText(failure) }
  }

  private report(n: Notification, attempt: number, outcome: Outcome, failure?: unknown): void {
    if (this.stopped) return
    this.attempts.inc({ channel: n.channel, outcome })
    const error = failure === undefined ? {} : { error: errorText(failure) }
    this.deps.onAttempt({
      notificationId: n.id,
      channel: n.channel,
      receiver: n.receiver,
      address: n.address,
      attempt,
      outcome,
      ...error,
      at: Date.now(),
    })
  }

  /** Exponential, with jitter so that retries of a burst do not arrive together; at least what Retry-After asked. */
  private backoff(attempt: number, failure: unknown): number {
    const exp = Math.min(this.c.retryMaxMs, this.c.retryBaseMs * 2 ** (attempt - 1))
    const jittered = exp / 2 + (Math.random() * exp) / 2
    const asked = failure instanceof TransientSendError ? (failure.retryAfterMs ?? 0) : 0
    return Math.min(this.c.retryMaxMs, Math.max(jittered, asked))
  }

  private async wait(ms: number): Promise<void> {
    if (ms <= 0) return
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal })
    } catch {
      throw new DeliveryStoppedError('delivery stopped while a notification waited for its turn')
    }
  }

  private queue(type: ChannelType): PQueue {
    let q = this.queues.get(type)
    if (!q) {
      q = new PQueue({ concurrency: this.c.concurrency })
      this.queues.set(type, q)
    }
    return q
  }

  /** Until every notification held has settled, or `ms` have passed. */
  private async settled(ms: number): Promise<void> {
    const timer = new AbortController()
    await Promise.race([
      Promise.allSettled(this.pending.values()),
      sleep(ms, undefined, { signal: timer.signal }).catch(() => {}),
    ])
    timer.abort()
  }
}

function missing(type: ChannelType): PermanentSendError {
  const need = CHANNEL_NEEDS[type]
  return new PermanentSendError(
    `no ${type} channel is set up${need ? ` (${channelSettings[need].env} is empty)` : ''}`,
  )
}
