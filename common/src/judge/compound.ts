import { FALSE, TRUE, UNKNOWN } from './functions.ts'

/**
 * The series of one endpoint that a compound strategy binds, as binding ids: those its own
 * condition selects (primaries, which carry the events) and, per extra condition, those that
 * condition selects.
 */
export class CompoundGroup {
  readonly primaries: number[] = []
  readonly extras: number[][] = []

  /** `truthOf`: a binding's latest verdict, UNKNOWN, FALSE or TRUE. */
  constructor(readonly truthOf: (binding: number) => number) {}

  add(b: number, role: number): void {
    if (role < 0) this.primaries.push(b)
    else {
      while (this.extras.length <= role) this.extras.push([])
      this.extras[role]!.push(b)
    }
  }

  remove(b: number, role: number): void {
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
      const t = this.truthOf(b)
      if (t === TRUE) return TRUE
      if (t === FALSE) truth = FALSE
    }
    return truth
  }

  /**
   * The strategy's verdict for one primary series: its own verdict and the `count` extra
   * conditions, combined with three-valued logic. `and`: FALSE if any is false, else UNKNOWN if
   * any is unknown, else TRUE. `or`: TRUE if any is true, else UNKNOWN if any is unknown, else FALSE.
   */
  combine(primary: number, count: number, or: boolean): number {
    const own = this.truthOf(primary)
    let unknown = own === UNKNOWN
    if (own === (or ? TRUE : FALSE)) return own
    for (let i = 0; i < count; i++) {
      const t = this.extraTruth(i)
      if (t === (or ? TRUE : FALSE)) return t
      if (t === UNKNOWN) unknown = true
    }
    return unknown ? UNKNOWN : or ? FALSE : TRUE
  }
}
