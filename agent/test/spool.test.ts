import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type TempDir, tempDir } from '@peregrine/common/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Spool } from '../src/spool.ts'

let dir: TempDir
beforeEach(async () => {
  dir = await tempDir('spool-')
})
afterEach(() => dir.remove())

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const bytes = (n: number) => Buffer.alloc(n, 65)

describe('spool', () => {
  it('keeps batches in order across a reopen', async () => {
    const s = await Spool.open(dir.path, 10_000)
    for (let i = 1; i <= 3; i++) await s.append(id(i), bytes(100), i)
    const reopened = await Spool.open(dir.path, 10_000)
    expect(reopened.size).toBe(3)
    expect(reopened.bytes).toBe(300)
    const first = reopened.oldest()!
    expect([first.msgId, first.points]).toEqual([id(1), 1])
    await reopened.remove(first)
    await reopened.append(id(4), bytes(100), 4)
    const again = await Spool.open(dir.path, 10_000)
    const order: string[] = []
    for (let e = again.oldest(); e; e = again.oldest()) {
      order.push(e.msgId)
      await again.remove(e)
    }
    expect(order).toEqual([id(2), id(3), id(4)])
    expect(await readdir(dir.path)).toEqual([])
  })

  it('drops the oldest batches first when full, and counts their points', async () => {
    const s = await Spool.open(dir.path, 350)
    for (let i = 1; i <= 5; i++) await s.append(id(i), bytes(100), 10 * i)
    expect(s.size).toBe(3)
    expect(s.bytes).toBe(300)
    expect(s.droppedPoints).toBe(10 + 20)
    expect(s.oldest()?.msgId).toBe(id(3))
  })

  it('never drops acknowledged points: collections go first, then a new batch is refused', async () => {
    const s = await Spool.open(dir.path, 350)
    await s.append(id(1), bytes(100), 1, true)
    await s.append(id(2), bytes(100), 2)
    await s.append(id(3), bytes(100), 3, true)
    // Full: the collection (2) makes room, the pushes (1, 3) stay.
    await s.append(id(4), bytes(100), 4, true)
    expect(s.droppedPoints).toBe(2)
    await expect(s.append(id(5), bytes(100), 5)).rejects.toMatchObject({ code: 'SPOOL_FULL' })
    await expect(s.append(id(6), bytes(100), 6, true)).rejects.toMatchObject({ code: 'SPOOL_FULL' })
    // What is acknowledged is still there after a restart, and known as such.
    const again = await Spool.open(dir.path, 350)
    expect(again.size).toBe(3)
    expect(again.oldest()).toMatchObject({ msgId: id(1), acknowledged: true })
    await expect(again.append(id(7), bytes(100), 7)).rejects.toMatchObject({ code: 'SPOOL_FULL' })
  })

  it('ignores half-written files left by a crash', async () => {
    await writeFile(join(dir.path, `000000000001_5_${id(1)}.batch.tmp`), 'partial')
    await writeFile(join(dir.path, 'unrelated.txt'), 'x')
    const s = await Spool.open(dir.path, 1000)
    expect(s.size).toBe(0)
    expect(await readdir(dir.path)).toEqual(['unrelated.txt'])
  })
})
