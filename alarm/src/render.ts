import type { AlertEvent } from '@peregrine/common/schema'
import { utcTime } from './channels/text.ts'
import type { Message } from './channels/types.ts'

export interface Links {
  /** The dashboard as people reach it (ALARM_DASHBOARD_URL). */
  dashboardUrl: string
  /** The signed acknowledgement link, when the pipeline has one. */
  ackUrl?: string
}

/** A merged message lists this many events one by one, and counts the rest. */
const LISTED_EVENTS = 20
/** A merged subject names this many endpoints as examples. */
const NAMED_ENDPOINTS = 2
/** Lists of names in a body stop here (the events carry them all). */
const LISTED_NAMES = 10
const MAX_SUBJECT = 255

/**
 * What people read about one event, or about several merged ones (same priority, status,
 * receiver and metric: the pipeline's merge). Pure: the same events give the same text.
 */
export function render(events: readonly AlertEvent[], links: Links): Message {
  const [first] = events
  if (!first) throw new RangeError('a message needs at least one event')
  const message = events.length === 1 ? renderOne(first, links) : renderMerged(first, events, links)
  return { ...message, subject: clip(message.subject, MAX_SUBJECT) }
}

function renderOne(e: AlertEvent, links: Links): Message {
  const recovered = e.status === 'OK' ? ' recovered' : ''
  const value = e.value === null ? '' : ` (value ${num(e.value)})`
  const fields: [string, string][] = [
    ['Priority', `P${e.strategy.priority}`],
    ['Status', e.status],
    ['Endpoint', e.endpoint],
    ['Tree', names(e.paths)],
    ['Strategy', `${e.strategy.name} (${e.strategy.id})`],
    ['Note', e.strategy.note],
    ['Condition', e.strategy.condition],
    ['Function', fn(e)],
    ['Metric', e.metric],
    ['Tags', e.tags],
    ['Threshold', e.kind === 'value' ? `${e.strategy.operator} ${num(e.strategy.threshold)}` : ''],
    ['Value', e.value === null ? 'none (no data)' : num(e.value)],
    ['Step', String(e.step)],
    ['Time', utcTime(e.timestamp)],
    ['Dashboard', eventLink(links.dashboardUrl, e.key)],
    ['Acknowledge', links.ackUrl ?? ''],
  ]
  return {
    subject: `${tag(e)} ${e.endpoint}${recovered}: ${what(e)}${value}`,
    text: [headline(e), ...flapping(e), '', ...table(fields)].join('\n'),
  }
}

function renderMerged(first: AlertEvent, events: readonly AlertEvent[], links: Links): Message {
  const endpoints = distinct(events.map((e) => e.endpoint))
  const recovered = first.status === 'OK' ? ' recovered' : ''
  const label =
    endpoints.length === 1 ? `${first.endpoint} (${events.length} series)` : `${endpoints.length} hosts`
  const examples =
    endpoints.length > 1
      ? ` e.g. ${endpoints.slice(0, NAMED_ENDPOINTS).join(', ')}${endpoints.length > NAMED_ENDPOINTS ? ' …' : ''}`
      : ''
  const strategies = distinct(
    events.map((e) => `${e.strategy.name} (${e.strategy.id})${noted(e.strategy.note)}`),
  )
  const fields: [string, string][] = [
    ['Priority', `P${first.strategy.priority}`],
    ['Status', first.status],
    ['Metric', first.metric],
    ['Endpoints', names(endpoints)],
    ['Tree', names(distinct(events.flatMap((e) => e.paths)))],
    ['Strategies', names(strategies)],
    ['Acknowledge', links.ackUrl ?? ''],
  ]
  const listed = events.slice(0, LISTED_EVENTS).flatMap((e) => eventLines(e, links))
  const more = events.length > LISTED_EVENTS ? [`… and ${events.length - LISTED_EVENTS} more events.`] : []
  return {
    subject: `${tag(first)} ${label}${recovered}: ${first.metric}${examples}`,
    text: [
      `${recovered ? 'Recovered' : 'Problem'}: ${first.metric} on ${label}, ${events.length} events.`,
      '',
      ...table(fields),
      '',
      'Events:',
      ...listed,
      ...more,
    ].join('\n'),
  }
}

/** One event of a merged message: two lines, the second its dashboard link. */
function eventLines(e: AlertEvent, links: Links): string[] {
  const value = e.value === null ? 'no data' : `value ${num(e.value)}`
  const flap = e.flapping ? ', flapping' : ''
  return [
    `- ${e.endpoint}: ${what(e)}, ${value}, step ${e.step}, ${utcTime(e.timestamp)}${flap}`,
    `  ${eventLink(links.dashboardUrl, e.key)}`,
  ]
}

const tag = (e: AlertEvent) => `[P${e.strategy.priority}][${e.status}]${e.flapping ? '[FLAPPING]' : ''}`

/** The function and window the condition starts with (`all(#3)`, `nodata(3m)`). */
const fn = (e: AlertEvent) => /^[a-z]+\([^)]*\)/.exec(e.strategy.condition)?.[0] ?? ''

const series = (e: AlertEvent) => (e.tags === '' ? e.metric : `${e.metric}{${e.tags}}`)

/** `cpu.idle all(#3) < 10`; for no data, `cpu.idle nodata(3m)`. */
function what(e: AlertEvent): string {
  const comparison = e.kind === 'value' ? ` ${e.strategy.operator} ${num(e.strategy.threshold)}` : ''
  return `${series(e)} ${fn(e)}${comparison}`.replace(/ +/g, ' ').trim()
}

function headline(e: AlertEvent): string {
  const on = `on ${e.endpoint}`
  const value = e.value === null ? '' : `, value ${num(e.value)}`
  const lines: Record<`${AlertEvent['status']}:${AlertEvent['kind']}`, string> = {
    'PROBLEM:value': `Problem: ${what(e)} ${on}${value}.`,
    'PROBLEM:nodata': `No data: ${series(e)} ${on} (${fn(e)}).`,
    'PROBLEM:heartbeat': `Heartbeat lost: the agent ${on} stopped reporting.`,
    'OK:value': `Recovered: ${what(e)} no longer holds ${on}${value}.`,
    'OK:nodata': `Recovered: ${series(e)} ${on} has data again.`,
    'OK:heartbeat': `Recovered: the agent ${on} reports again.`,
  }
  return lines[`${e.status}:${e.kind}`]
}

function flapping(e: AlertEvent): string[] {
  return e.flapping
    ? ['Flapping: this series changes state too often; the changes in between were not sent.']
    : []
}

/** `Name:  value` lines, leaving out the empty ones. */
function table(fields: [string, string][]): string[] {
  const kept = fields.filter(([, v]) => v !== '')
  const width = Math.max(...kept.map(([k]) => k.length)) + 2
  return kept.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`)
}

export function eventLink(dashboardUrl: string, key: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/events?key=${encodeURIComponent(key)}`
}

/** Six significant digits: what a threshold or a gauge needs, without float noise (4.2, not 4.2000000001). */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)))
}

const noted = (note: string) => (note === '' ? '' : ` — ${clip(note.replace(/\s+/g, ' '), 200)}`)

function names(list: readonly string[]): string {
  const shown = list.slice(0, LISTED_NAMES).join(', ')
  return list.length > LISTED_NAMES ? `${shown} and ${list.length - LISTED_NAMES} more` : shown
}

const distinct = (list: readonly string[]) => [...new Set(list)]

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
