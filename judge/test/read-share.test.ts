import { expect, it } from 'vitest'
import { ReadShare } from '../src/read-share.ts'

it('splits the bytes among the partitions reading, by the size of their recent messages', () => {
  const share = new ReadShare(4 * 1024 * 1024)
  const a = share.join()
  // Nothing read yet: messages are guessed at 128 KiB.
  expect(a.nextFetch()).toBe(32)
  a.received(64 * 1024)
  // The guess fades by a quarter a fetch (96, then 72 KiB) down to the size read: 64 KiB.
  expect(a.nextFetch()).toBe(42)
  a.received(64 * 1024)
  expect(a.nextFetch()).toBe(56)
  a.received(64 * 1024)
  expect(a.nextFetch()).toBe(64)
  const b = share.join()
  expect(share.readers).toBe(2)
  expect(b.nextFetch()).toBe(16)
  expect(a.nextFetch()).toBe(32)
  b.leave()
  b.leave() // twice is once
  expect(share.readers).toBe(1)
})

it('counts a larger message at once, lets it fade slowly, and keeps the size over idle fetches', () => {
  const a = new ReadShare(8 * 1024 * 1024).join()
  a.received(1024 * 1024)
  expect(a.nextFetch()).toBe(8)
  expect(a.nextFetch()).toBe(8) // an idle fetch: no change
  a.received(1024)
  expect(a.nextFetch()).toBe(10) // 768 KiB now
  a.received(16 * 1024 * 1024)
  expect(a.nextFetch()).toBe(1) // never none
})

it('asks for at most 256 messages, however small', () => {
  const a = new ReadShare(1024 * 1024 * 1024).join()
  a.received(100)
  expect(a.nextFetch()).toBe(256)
})
