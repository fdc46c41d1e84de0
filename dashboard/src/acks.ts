import { type Ack, type AckView, ConflictError, param, type Store, sql } from '@peregrine/common'
import type { ConfigContext } from './config/context.ts'

/** What an acknowledgement is about, as the events table knows it. */
export interface AckedEvent {
  id: string
  key: string
  status: 'PROBLEM' | 'OK'
  endpoint: string
  metric: string
  paths: string[]
}

/** The key's newest stored event, or null when the key has none. */
export async function latestEvent(store: Store, key: string): Promise<AckedEvent | null> {
  const [row] = await store.query<AckedEvent>(
    sql`SELECT id, key, status, endpoint, metric, paths FROM events_latest FINAL
        WHERE key = ${param.string(key)} LIMIT 1`,
  )
  return row ?? null
}

/**
 * The PROBLEM events among `targets` (by id, each of its own key), and whether an OK of its key
 * has followed: an acknowledgement stands on a PROBLEM only until then.
 */
export async function problems(
  store: Store,
  targets: readonly { key: string; eventId: string }[],
): Promise<Map<string, AckedEvent & { recovered: boolean }>> {
  if (!targets.length) return new Map()
  const ids = param.strings(targets.map((t) => t.eventId))
  // An unmatched join leaves `ok` at 1970, before any PROBLEM.
  const rows = await store.query<AckedEvent & { recovered: number }>(
    sql`SELECT p.id AS id, p.key AS key, p.status AS status, p.endpoint AS endpoint, p.metric AS metric,
          p.paths AS paths, o.ok >= p.timestamp AS recovered
        FROM (SELECT id, key, status, timestamp, endpoint, metric, paths FROM events FINAL
              WHERE id IN ${ids} AND status = 'PROBLEM') AS p
        LEFT JOIN (SELECT key, max(timestamp) AS ok FROM events
                   WHERE status = 'OK' AND key IN ${param.strings(targets.map((t) => t.key))}
                   GROUP BY key) AS o ON p.key = o.key`,
  )
  const wanted = new Set(targets.map((t) => `${t.key}/${t.eventId}`))
  return new Map(
    rows
      .filter((r) => wanted.has(`${r.key}/${r.id}`))
      .map((r) => [r.id, { ...r, recovered: r.recovered === 1 }]),
  )
}

/** The acknowledgements that still stand: their PROBLEM is stored and its key has not gone OK since. */
export async function standing(store: Store, acks: readonly Ack[]): Promise<Ack[]> {
  const found = await problems(store, acks)
  return acks.filter((a) => found.get(a.eventId)?.recovered === false)
}

/** The key's acknowledgement, if it stands. */
export async function standingAck(ctx: ConfigContext, key: string): Promise<Ack | null> {
  const current = await ctx.config.acks.get(key)
  return current && (await standing(ctx.store, [current.value])).length ? current.value : null
}

/** Who acknowledges, as the audit log records it. */
export interface Acknowledger {
  actor: string
  actorId: string
}

/**
 * Stores `ack` unless an acknowledgement of the same PROBLEM already stands, which is answered
 * instead (a second click, or a second person, changes nothing). A void one is replaced. Audited.
 */
export async function acknowledge(
  ctx: ConfigContext,
  ack: Ack,
  who: Acknowledger,
  paths: readonly string[],
): Promise<{ ack: Ack; created: boolean }> {
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.config.acks.get(ack.key)
    if (current && (await standing(ctx.store, [current.value])).length)
      return { ack: current.value, created: false }
    try {
      if (current) await ctx.config.acks.update(ack.key, ack, current.revision)
      else await ctx.config.acks.create(ack.key, ack)
    } catch (err) {
      // Someone else acknowledged meanwhile: theirs stands, read it again.
      if (err instanceof ConflictError && attempt < 3) continue
      throw err
    }
    await record(ctx, who, {
      action: 'create',
      id: ack.key,
      before: current?.value ?? null,
      after: ack,
      paths,
    })
    return { ack, created: true }
  }
}

/** Removes the key's acknowledgement, audited; false when there was none. */
export async function unacknowledge(
  ctx: ConfigContext,
  key: string,
  who: Acknowledger,
  paths: readonly string[],
): Promise<boolean> {
  const current = await ctx.config.acks.get(key)
  if (!current) return false
  await ctx.config.acks.delete(key, current.revision)
  await record(ctx, who, { action: 'delete', id: key, before: current.value, after: null, paths })
  return true
}

function record(
  ctx: ConfigContext,
  who: Acknowledger,
  change: {
    action: 'create' | 'delete'
    id: string
    before: Ack | null
    after: Ack | null
    paths: readonly string[]
  },
): Promise<void> {
  // An event may carry more paths than an audit record takes; the first ones place it in the tree.
  return ctx.audit.record({ ...who, ...change, kind: 'ack', paths: change.paths.slice(0, 200) })
}

export const ackView = (a: Ack): AckView => ({ ...a, at: a.at / 1000 })
