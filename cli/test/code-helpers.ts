import type { Writer } from '../src/code/apply.ts'
import { FileError } from '../src/code/format.ts'
import { PlanError } from '../src/code/plan.ts'

/** The problems a file or a plan is refused with (none: it was accepted). */
export function problemsOf(run: () => unknown): string[] {
  try {
    run()
  } catch (err) {
    if (err instanceof FileError || err instanceof PlanError) return err.problems
    throw err
  }
  return []
}

/** A Writer that records each call as `name [args]` (objects as …) and fails where `fail` says. */
export function recordingWriter(fail: (name: string) => Error | undefined = () => undefined) {
  const calls: string[] = []
  const writer = new Proxy({} as Writer, {
    get:
      (_t, name: string) =>
      async (...args: unknown[]) => {
        calls.push(`${name} ${JSON.stringify(args.map((a) => (typeof a === 'object' ? '…' : a)))}`)
        const err = fail(name)
        if (err) throw err
        return null
      },
  })
  return { calls, writer }
}
