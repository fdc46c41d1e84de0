import { ApiError, type PeregrineClient } from './client.ts'
import { describeChange } from './diff.ts'
import type { Change, Plan } from './plan.ts'

/** The client calls applying needs (a fake in unit tests). */
export type Writer = Pick<
  PeregrineClient,
  | 'createNode'
  | 'updateNode'
  | 'deleteNode'
  | 'putTeam'
  | 'deleteTeam'
  | 'createStrategy'
  | 'updateStrategy'
  | 'deleteStrategy'
  | 'createSilence'
  | 'updateSilence'
  | 'deleteSilence'
  | 'putEscalation'
  | 'deleteEscalation'
  | 'createScreen'
  | 'updateScreen'
  | 'deleteScreen'
>

/** Applying stopped at `failed`; `done` were applied before it, the rest were not attempted. */
export class ApplyError extends Error {
  constructor(
    readonly done: Change[],
    readonly failed: Change,
    readonly total: number,
    override readonly cause: unknown,
  ) {
    const reason =
      cause instanceof ApiError
        ? `${cause.message} (HTTP ${cause.status})`
        : cause instanceof Error
          ? cause.message
          : String(cause)
    super(
      `${describeChange(failed, false)} failed: ${reason}\n` +
        `${done.length} of ${total} changes were applied before it; the rest were not attempted`,
    )
    this.name = 'ApplyError'
  }
}

/** Makes one change, with the version or revision the plan read (compare-and-set). */
async function make(api: Writer, c: Change): Promise<void> {
  switch (c.kind) {
    case 'node': {
      if (c.op === 'delete') return void (await api.deleteNode(c.key, c.ref.revision))
      const { path, ...body } = c.after
      if (c.op === 'create') await api.createNode(path, body)
      else await api.updateNode(path, body, c.ref.revision)
      return
    }
    case 'team':
      if (c.op === 'delete') return void (await api.deleteTeam(c.key, c.ref.revision))
      await api.putTeam(c.after, c.op === 'update' ? c.ref.revision : undefined)
      return
    case 'strategy':
      if (c.op === 'delete') return void (await api.deleteStrategy(c.ref.id, c.ref.revision))
      if (c.op === 'create') await api.createStrategy(c.after)
      else await api.updateStrategy(c.ref.id, c.after, c.ref.revision)
      return
    case 'silence':
      if (c.op === 'delete') return void (await api.deleteSilence(c.ref.id, c.ref.revision))
      if (c.op === 'create') await api.createSilence(c.after)
      else await api.updateSilence(c.ref.id, c.after, c.ref.revision)
      return
    case 'escalation': {
      if (c.op === 'delete') return void (await api.deleteEscalation(c.key, c.ref.revision))
      const { node, ...body } = c.after
      await api.putEscalation(node, body, c.op === 'update' ? c.ref.revision : undefined)
      return
    }
    case 'screen':
      if (c.op === 'delete') return void (await api.deleteScreen(c.ref.id, c.ref.revision))
      if (c.op === 'create') await api.createScreen(c.after)
      else await api.updateScreen(c.ref.id, c.after, c.ref.revision)
      return
  }
}

/**
 * Applies the plan's changes in order, stopping at the first error (ApplyError, which says what
 * was done). An item changed on the server since the plan read it fails with 409: re-run.
 * `onDone` is told of each change once made.
 */
export async function applyPlan(api: Writer, p: Plan, onDone?: (c: Change) => void): Promise<Change[]> {
  const done: Change[] = []
  for (const c of p.changes) {
    try {
      await make(api, c)
    } catch (err) {
      throw new ApplyError(done, c, p.changes.length, err)
    }
    done.push(c)
    onDone?.(c)
  }
  return done
}
