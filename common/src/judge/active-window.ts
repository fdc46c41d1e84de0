/** A strategy's active window in minutes of the local day: [from, to), crossing midnight when to < from. */
export interface ActiveWindow {
  readonly from: number
  readonly to: number
}

export function parseActiveWindow(w: { from: string; to: string }): ActiveWindow {
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5))
  return { from: minutes(w.from), to: minutes(w.to) }
}

/**
 * Whether a minute of the day lies in the window. `from` is included and `to` is not; a window
 * whose `to` is before its `from` crosses midnight (22:00–06:00); `from` equal to `to` is the
 * whole day.
 */
export function inActiveWindow(w: ActiveWindow, minute: number): boolean {
  if (w.from === w.to) return true
  return w.from < w.to ? minute >= w.from && minute < w.to : minute >= w.from || minute < w.to
}

const HOUR = 3600
/** Bounds the offset cache: hours seen at once are few (live points), a replay walks on. */
const MAX_CACHED_HOURS = 4096

/**
 * Local minute of the day at a unix second in one time zone, without an Intl call per point:
 * the zone's UTC offset is looked up once per UTC hour and cached. An hour with a transition
 * (daylight saving) is cached with the exact second the offset changes, found by bisection.
 */
export class ZoneClock {
  readonly #format: Intl.DateTimeFormat | null
  /** UTC hour → [offset before, second of the change (or +∞), offset from then on]. */
  readonly #hours = new Map<number, [number, number, number]>()

  /** Throws a RangeError for a time zone Intl does not know. */
  constructor(readonly timeZone = 'UTC') {
    this.#format =
      timeZone === 'UTC'
        ? null
        : new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            second: 'numeric',
          })
  }

  /** Seconds to add to UTC for local time at unix second `ts`. */
  offsetAt(ts: number): number {
    if (this.#format === null) return 0
    const hour = Math.floor(ts / HOUR)
    let entry = this.#hours.get(hour)
    if (entry === undefined) {
      if (this.#hours.size >= MAX_CACHED_HOURS) this.#hours.clear()
      entry = this.#hourEntry(hour * HOUR)
      this.#hours.set(hour, entry)
    }
    return ts < entry[1] ? entry[0] : entry[2]
  }

  /** Minute of the local day, 0–1439. */
  minuteOfDay(ts: number): number {
    const local = Math.floor(ts) + this.offsetAt(Math.floor(ts))
    return Math.floor((((local % 86_400) + 86_400) % 86_400) / 60)
  }

  #hourEntry(start: number): [number, number, number] {
    const before = this.#intlOffset(start)
    const after = this.#intlOffset(start + HOUR)
    if (before === after) return [before, Number.POSITIVE_INFINITY, before]
    // The offset changes within this hour: find the first second with the new one.
    let lo = start
    let hi = start + HOUR
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if (this.#intlOffset(mid) === before) lo = mid
      else hi = mid
    }
    return [before, hi, after]
  }

  #intlOffset(ts: number): number {
    const f = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 }
    for (const p of this.#format!.formatToParts(ts * 1000))
      if (p.type in f) f[p.type as keyof typeof f] = Number(p.value)
    return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second) / 1000 - ts
  }
}
