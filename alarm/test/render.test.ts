import { describe, expect, it } from 'vitest'
import { render } from '../src/render.ts'
import { alertEvent } from './helpers.ts'

const links = { dashboardUrl: 'https://peregrine.example.com/' }

describe('render one event', () => {
  it('names priority, status, endpoint, condition and value in the subject', () => {
    const { subject } = render([alertEvent()], links)
    expect(subject).toBe('[P1][PROBLEM] host-a: cpu.idle all(#3) < 10 (value 4.2)')
  })

  it('gives every field in the body, with the dashboard and acknowledgement links', () => {
    const e = alertEvent({ tags: 'core=0', step: 2, paths: ['corp.infra.web', 'corp.db'] })
    const { text } = render([e], { ...links, ackUrl: 'https://peregrine.example.com/ack/abc' })
    expect(text.split('\n')[0]).toBe('Problem: cpu.idle{core=0} all(#3) < 10 on host-a, value 4.2.')
    const fields = Object.fromEntries(
      text
        .split('\n')
        .slice(2)
        .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
    )
    expect(fields).toEqual({
      Priority: 'P1',
      Status: 'PROBLEM',
      Endpoint: 'host-a',
      Tree: 'corp.infra.web, corp.db',
      Strategy: 'cpu-idle-low (strat-1)',
      Note: 'CPU saturated: check the top processes',
      Condition: 'all(#3) cpu.idle < 10',
      Function: 'all(#3)',
      Metric: 'cpu.idle',
      Tags: 'core=0',
      Threshold: '< 10',
      Value: '4.2',
      Step: '2',
      Time: '2024-05-01T12:00:00Z',
      Dashboard: 'https://peregrine.example.com/events?key=fedcba9876543210',
      Acknowledge: 'https://peregrine.example.com/ack/abc',
    })
  })

  it('reads a recovery as one', () => {
    const { subject, text } = render([alertEvent({ status: 'OK', value: 35 })], links)
    expect(subject).toBe('[P1][OK] host-a recovered: cpu.idle all(#3) < 10 (value 35)')
    expect(text).toMatch(/^Recovered: cpu\.idle all\(#3\) < 10 no longer holds on host-a, value 35\./)
    expect(text).toMatch(/^Status: +OK$/m)
  })

  it('says no data for nodata and heartbeat events, without a value or threshold', () => {
    const nodata = alertEvent({
      kind: 'nodata',
      value: null,
      strategy: { condition: 'nodata(3m) cpu.idle' },
    })
    const one = render([nodata], links)
    expect(one.subject).toBe('[P1][PROBLEM] host-a: cpu.idle nodata(3m)')
    expect(one.text).toMatch(/^No data: cpu\.idle on host-a \(nodata\(3m\)\)\./)
    expect(one.text).toMatch(/^Value: +none \(no data\)$/m)
    expect(one.text).not.toMatch(/^Threshold:/m)
    const heartbeat = render([{ ...nodata, kind: 'heartbeat', status: 'OK' }], links)
    expect(heartbeat.text).toMatch(/^Recovered: the agent on host-a reports again\./)
  })

  it('marks a flapping series', () => {
    const { subject, text } = render([alertEvent({ flapping: true })], links)
    expect(subject).toMatch(/^\[P1\]\[PROBLEM\]\[FLAPPING\] /)
    expect(text).toMatch(/^Flapping: /m)
  })

  it('leaves out what an event does not have and keeps six significant digits', () => {
    const e = alertEvent({ paths: [], value: 1 / 3, strategy: { note: '' } })
    const { subject, text } = render([e], links)
    expect(subject).toMatch(/\(value 0\.333333\)$/)
    expect(text).not.toMatch(/^(Tree|Note|Tags|Acknowledge):/m)
  })
})

describe('render merged events', () => {
  const storm = Array.from({ length: 25 }, (_, i) =>
    alertEvent({
      id: `${i}`.padStart(16, '0'),
      key: `${i}`.padStart(16, 'a'),
      endpoint: `host-${String.fromCharCode(97 + (i % 12))}`,
      metric: 'disk.io.util',
      tags: `dev=sd${i}`,
      value: 95 + i,
      strategy: { priority: 3, condition: 'avg(#3) disk.io.util > 90', operator: '>', threshold: 90 },
    }),
  )

  it('counts the hosts and names two in the subject', () => {
    expect(render(storm, links).subject).toBe('[P3][PROBLEM] 12 hosts: disk.io.util e.g. host-a, host-b …')
    expect(render(storm.slice(0, 2), links).subject).toBe(
      '[P3][PROBLEM] 2 hosts: disk.io.util e.g. host-a, host-b',
    )
    const oneHost = storm.filter((e) => e.endpoint === 'host-a')
    expect(render(oneHost, links).subject).toBe('[P3][PROBLEM] host-a (3 series): disk.io.util')
  })

  it('lists twenty events with their links, and counts the rest', () => {
    const { text } = render(storm, { ...links, ackUrl: 'https://peregrine.example.com/ack/x' })
    expect(text.split('\n')[0]).toBe('Problem: disk.io.util on 12 hosts, 25 events.')
    expect(text).toMatch(/^Endpoints: +host-a, host-b, .*host-j and 2 more$/m)
    expect(text).toMatch(/^Strategies: +cpu-idle-low \(strat-1\) — CPU saturated/m)
    expect(text).toMatch(/^Acknowledge: +https:\/\/peregrine\.example\.com\/ack\/x$/m)
    const listed = text.split('\n').filter((l) => l.startsWith('- '))
    expect(listed).toHaveLength(20)
    expect(listed[0]).toBe(
      '- host-a: disk.io.util{dev=sd0} avg(#3) > 90, value 95, step 1, 2024-05-01T12:00:00Z',
    )
    expect(text).toContain('  https://peregrine.example.com/events?key=aaaaaaaaaaaaaaa0')
    expect(text.trimEnd().split('\n').at(-1)).toBe('… and 5 more events.')
  })

  it('reads merged recoveries as such', () => {
    const ok = storm.map((e) => ({ ...e, status: 'OK' as const }))
    const { subject, text } = render(ok, links)
    expect(subject).toBe('[P3][OK] 12 hosts recovered: disk.io.util e.g. host-a, host-b …')
    expect(text.split('\n')[0]).toBe('Recovered: disk.io.util on 12 hosts, 25 events.')
  })

  it('refuses to render nothing', () => {
    expect(() => render([], links)).toThrow(RangeError)
  })
})
