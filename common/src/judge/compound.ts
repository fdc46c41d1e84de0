import { FALSE, TRUE, UNKNOWN } from './functions.ts'

/** What compound evaluation reads of a condition bound to a series: its latest verdict. */
export interface Verdicted {
  /** UNKNOWN, FALSE or TRUE. */
  truth: number
}

/**
 * The series of one endpoint that a compound strategy binds: those its own condition selects
 * (primaries, which carry the events) and, per extra condition, those that condition selects.
 */
export class CompoundGroup<B extends Verdicted> {
  readonly primaries: B[] = []
  readonly extras: B[][] = []

  add(b: B, role: number): void {
    if (role < 0) this.primaries.push(b)
    else {
      while (this.extras.length <= role) this.extras.push([])
      this.extras[role]!.push(b)
    }
  }

  remove(b: B, role: number): void {
    const list = role < 0 ? this.primaries : this.extras[role]
    const i = list?.indexOf(b) ?? -1
    if (i >= 0) list!.splice(i, 1)
  }

  get empty(): boolean {
    return this.primaries.length === 0 && this.extras.every((l) => l.length === 0)
  }

  /**
   * An extra condition's truth on the endpoint: TRUE when any series it selects has a true latest
   * verdict; FALSE when none does and at least one has a verdict; UNKNOWN otherwise (no such
   * series, or none with enough points).
   */
  extraTruth(role: number): number {
    let truth = UNKNOWN
    for (const b of this.extras[role] ?? []) {
      if (b.truth === TRUE) return TRUE
      if (b.truth === FALSE) truth = FALSE
    }
    return truth
  }

  /**
   * The strategy's verdict for one primary series: its own verdict and the `count` extra
   * conditions, combined with three-valued logic. `and`: FALSE if any is false, else UNKNOWN if
   * any is unknown, else TRUE. `or`: TRUE if any is true, else UNKNOWN if any is unknown, else FALSE.
   */
  combine(primary: B, count: number, or: boolean): number {
    let unknown = primary.truth === UNKNOWN
    if (primary.truth === (or ? TRUE : FALSE)) return primary.truth
    for (let i = 0; i < count; i++) {
      const t = this.extraTruth(i)
      if (t === (or ? TRUE : FALSE)) return t
      if (t === UNKNOWN) unknown = true
    }
    return unknown ? UNKNOWN : or ? FALSE : TRUE
  }
}
