import type { AlertEvent, Subscription, Team, Tree, User } from '@peregrine/common/schema'

/** How a notification reaches someone; the channels' registry has one sender per type. */
export const CHANNEL_TYPES = [
  'email',
  'webhook',
  'slack',
  'feishu',
  'dingtalk',
  'wecom',
  'sms',
  'callback',
] as const
export type ChannelType = (typeof CHANNEL_TYPES)[number]

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

/** IM robots recognised by their webhook's host; any other URL gets the generic signed webhook. */
const IM_HOSTS: [RegExp, ChannelType][] = [
  [/(^|\.)hooks\.slack\.com$/, 'slack'],
  [/(^|\.)(open\.feishu\.cn|open\.larksuite\.com)$/, 'feishu'],
  [/(^|\.)oapi\.dingtalk\.com$/, 'dingtalk'],
  [/(^|\.)qyapi\.weixin\.qq\.com$/, 'wecom'],
]

export function imChannelOf(url: string): ChannelType {
  let host: string
  try {
    host = new URL(url).hostname
  } catch {
    return 'webhook'
  }
  return IM_HOSTS.find(([re]) => re.test(host))?.[1] ?? 'webhook'
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
    out.push({ receiver: user.name, channel: imChannelOf(user.imWebhook), address: user.imWebhook })
  return out
}
