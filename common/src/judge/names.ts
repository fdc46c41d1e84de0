import { finish, HashSlots, hashText } from './hash-slots.ts'

/**
 * Strings kept once each, by a small integer id: endpoints and metrics repeat across the series
 * of a judge (a hundred series per host), and each series that arrives brings its own copy.
 */
export class Names {
  readonly #names: string[] = []
  readonly #index = new HashSlots()

  /** The id of a name; −1 when it has none. */
  find(name: string): number {
    return this.#index.find(finish(hashText(name)), (id) => this.#names[id] === name)
  }

  /** The id of a name, given one if it has none. */
  intern(name: string): number {
    const found = this.find(name)
    if (found >= 0) return found
    const id = this.#names.length
    this.#names.push(name)
    this.#index.insert(finish(hashText(name)), id)
    return id
  }

  name(id: number): string {
    return this.#names[id]!
  }
}
