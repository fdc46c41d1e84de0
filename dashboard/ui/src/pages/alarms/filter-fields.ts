import { EVENT_KINDS, EVENT_STATUSES } from '@peregrine/common/model/event'
import { NodePath } from '@peregrine/common/model/tree'
import { formatLocal, parseLocal } from '../../time/range.ts'
import type { FilterField } from './FilterForm.tsx'
import { ACK_FILTERS } from './firing-model.ts'
import type { Suggestions } from './use-suggestions.ts'

/** The filters of the alarm pages, as the API names them (so the URL reads like the API call). */

const any = { value: '', label: 'Any' }

const nodeField = (s: Suggestions): FilterField<'node'> => ({
  key: 'node',
  label: 'Node',
  suggestions: s.nodes.map((value) => ({ value })),
  validate: (v) => (NodePath.safeParse(v).success ? undefined : 'a dotted path of node names, e.g. shop.web'),
})

const hostField = (s: Suggestions): FilterField<'host'> => ({
  key: 'host',
  label: 'Host',
  suggestions: s.hosts.map((value) => ({ value })),
  validate: (v) => (v.length > 255 ? 'at most 255 characters' : undefined),
})

/** A time as `datetime-local` shows it, kept in the URL in unix seconds like the API's. */
const timeField = <K extends string>(key: K, label: string): FilterField<K> => ({
  key,
  label,
  type: 'datetime-local',
  toInput: (url) => (/^\d+$/.test(url) ? formatLocal(Number(url)).replace(' ', 'T') : ''),
  fromInput: (input) => String(parseLocal(input) ?? ''),
  validate: (input) => (parseLocal(input) === null ? 'a date and time' : undefined),
})

export const FIRING_KEYS = ['node', 'host', 'ack'] as const
export type FiringKey = (typeof FIRING_KEYS)[number]

export function firingFields(s: Suggestions, fixedNode: boolean): FilterField<FiringKey>[] {
  return [
    ...(fixedNode ? [] : [nodeField(s)]),
    hostField(s),
    { key: 'ack', label: 'Acknowledged', options: ACK_FILTERS },
  ]
}

export const HISTORY_KEYS = ['node', 'host', 'strategy', 'priority', 'status', 'kind', 'from', 'to'] as const
export type HistoryKey = (typeof HISTORY_KEYS)[number]

export function historyFields(s: Suggestions, fixedNode: boolean): FilterField<HistoryKey>[] {
  return [
    ...(fixedNode ? [] : [nodeField(s)]),
    hostField(s),
    { key: 'strategy', label: 'Strategy', suggestions: s.strategies },
    {
      key: 'priority',
      label: 'Priority',
      options: [any, ...[0, 1, 2, 3, 4, 5, 6].map((p) => ({ value: String(p), label: `P${p}` }))],
    },
    {
      key: 'status',
      label: 'Status',
      options: [any, ...EVENT_STATUSES.map((v) => ({ value: v, label: v }))],
    },
    { key: 'kind', label: 'Kind', options: [any, ...EVENT_KINDS.map((v) => ({ value: v, label: v }))] },
    timeField('from', 'From'),
    timeField('to', 'To'),
  ]
}
