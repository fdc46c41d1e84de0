import type { SeriesDef } from '@peregrine/common/schema'

/** Series whose definition the agent remembers; beyond that it forgets and the collector decides. */
const MAX_REMEMBERED = 100_000

/**
 * The counterType and step of each series this agent has sent, so a push that would redefine a
 * series is refused at the edge (400 naming the field) rather than by the collector after the
 * push was acknowledged. The collector checks again against storage: it also sees other agents'
 * pushes and series older than this process.
 */
export class SeriesDefinitions {
  readonly #known = new Map<string, string>()

  /** The field a point of `s` would redefine, or null (then `s` is remembered). */
  conflict(s: SeriesDef): 'counterType' | 'step' | null {
    const identity = `${s.endpoint}\t${s.metric}\t${s.tags}`
    const known = this.#known.get(identity)
    const definition = `${s.counterType}\t${s.step}`
    if (known === undefined) {
      if (this.#known.size >= MAX_REMEMBERED) this.#known.clear()
      this.#known.set(identity, definition)
      return null
    }
    if (known === definition) return null
    return known.startsWith(`${s.counterType}\t`) ? 'step' : 'counterType'
  }

  /** How the series was defined, for the error message. */
  describe(s: SeriesDef): string {
    const [counterType, step] = (this.#known.get(`${s.endpoint}\t${s.metric}\t${s.tags}`) ?? '').split('\t')
    return `this series was sent as ${counterType} with step ${step}; a series keeps its counterType and step (use another metric name or tags for a new definition)`
  }
}
