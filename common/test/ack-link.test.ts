// Acknowledgement links: what makeAckLink signs, readAckToken gives back, and nothing else passes —
// not another secret's link, not an edited payload or signature, not an expired link.
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { makeAckLink, readAckToken } from '../src/ack-link.ts'

const SECRET = 'ab'.repeat(32)
const KEY = '1f'.repeat(8)
const EVENT = '2e'.repeat(8)
const NOW = 1_800_000_000_000

const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1)
const link = (o: { by?: string } = {}) =>
  makeAckLink(SECRET, KEY, EVENT, 3600, 'https://mon.example.com/', { now: NOW, ...o })

describe('makeAckLink and readAckToken', () => {
  it('gives back key, event and expiry until the link expires', () => {
    const made = link()
    expect(made).toMatch(/^https:\/\/mon\.example\.com\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
    const token = tokenOf(made)
    const exp = NOW / 1000 + 3600
    expect(readAckToken(SECRET, token, NOW)).toEqual({ ok: true, token: { key: KEY, eventId: EVENT, exp } })
    expect(readAckToken(SECRET, token, exp * 1000 - 1).ok).toBe(true)
    expect(readAckToken(SECRET, token, exp * 1000)).toEqual({ ok: false, reason: 'expired' })
  })

  it('carries whom the link was sent to', () => {
    const read = readAckToken(SECRET, tokenOf(link({ by: 'alice' })), NOW)
    expect(read).toMatchObject({ ok: true, token: { by: 'alice' } })
  })

  it('refuses a link signed with another secret', () => {
    expect(readAckToken('cd'.repeat(32), tokenOf(link()), NOW)).toEqual({ ok: false, reason: 'signature' })
  })

  it('refuses an edited payload or signature', () => {
    const [body, sig] = tokenOf(link()).split('.') as [string, string]
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString())
    const later = Buffer.from(JSON.stringify({ ...payload, x: payload.x + 86_400 })).toString('base64url')
    expect(readAckToken(SECRET, `${later}.${sig}`, NOW)).toEqual({ ok: false, reason: 'signature' })
    const other = Buffer.from(JSON.stringify({ ...payload, e: '3d'.repeat(8) })).toString('base64url')
    expect(readAckToken(SECRET, `${other}.${sig}`, NOW)).toEqual({ ok: false, reason: 'signature' })
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`
    expect(readAckToken(SECRET, `${body}.${flipped}`, NOW)).toEqual({ ok: false, reason: 'signature' })
  })

  it('refuses what is not a token, and a signed payload that is not a link', () => {
    for (const bad of ['', 'abc', 'a.b', `${tokenOf(link())}x`, `${tokenOf(link())}.x`, '..'])
      expect(readAckToken(SECRET, bad, NOW), bad).toEqual({ ok: false, reason: 'malformed' })
    // Correctly signed but not a link's payload: only a holder of the secret could make this.
    const body = Buffer.from(JSON.stringify({ k: 'not hex', e: EVENT, x: 2e9 })).toString('base64url')
    const sig = createHmac('sha256', SECRET).update(body).digest('base64url')
    expect(readAckToken(SECRET, `${body}.${sig}`, NOW)).toEqual({ ok: false, reason: 'malformed' })
  })

  it('refuses to make a link for what is not an event', () => {
    expect(() => makeAckLink(SECRET, 'nope', EVENT, 60, 'https://x', { now: NOW })).toThrow()
  })
})
