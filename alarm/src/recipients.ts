import type { AlertEvent, Subscription, Team, Tree, User } from '@peregrine/common/schema'
import { imChannelFor } from './channels/im.ts'
import type { ChannelType } from './channels/types.ts'

/** One address to notify: a user's email, phone or IM robot, or the strategy's callback. */
export interface Recipient {
  /** The user's name; `callback` for the strategy's callback URL. Rate limits count per receiver. */
  receiver: string
  channel: ChannelType
  address: string
}

/** Who is who, from the configuration store. */
export interface Directory {
  tree: Tree
  users: ReadonlyMap<string, User>
  teams: ReadonlyMap<string, Team>
  subscriptions: readonly Subscription[]
}

/**
 * The teams an event goes to: its strategy's receivers, and the teams subscribed to a node on the
 * path of one of the event's nodes (that node or above it) for the event's priority.
 */
export function teamsOf(event: AlertEvent, dir: Directory): Set<string> {
  const teams = new Set(event.strategy.receivers)
  for (const s of dir.subscriptions) {
    if (!s.priorities.includes(event.strategy.priority)) continue
    const path = dir.tree.path(s.node)
    if (path !== undefined && event.paths.some((p) => p === path || p.startsWith(`${path}.`)))
      teams.add(s.team)
  }
  return teams
}

/** Every address of the members of `teams`, each user once, and the callback of `event` if any. */
export function recipientsOf(event: AlertEvent, teams: Iterable<string>, dir: Directory): Recipient[] {
  const out: Recipient[] = []
  const seen = new Set<string>()
  for (const team of teams)
    for (const name of dir.teams.get(team)?.members ?? []) {
      if (seen.has(name)) continue
      seen.add(name)
      const user = dir.users.get(name)
      if (user) out.push(...addressesOf(user))
    }
  if (event.strategy.callbackUrl)
    out.push({ receiver: 'callback', channel: 'callback', address: event.strategy.callbackUrl })
  return out
}

function addressesOf(user: User): Recipient[] {
  const out: Recipient[] = []
  if (user.email) out.push({ receiver: user.name, channel: 'email', address: user.email })
  if (user.phone) out.push({ receiver: user.name, channel: 'sms', address: user.phone })
  if (user.imWebhook)
    out.push({ receiver: user.name, channel: imChannelFor(user.imWebhook), address: user.imWebhook })
  return out
}
