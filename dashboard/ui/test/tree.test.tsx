// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react'
import { afterEach, expect, it } from 'vitest'
import { align } from '../src/chart/align.ts'
import { hostStatus } from '../src/pages/node/host-status.ts'
import { resolveRange, resolveTime } from '../src/time/range.ts'
import { buildTree, filterTree, visiblePaths } from '../src/tree/model.ts'

afterEach(cleanup)

it('counts hosts and firing events once per branch, a host bound twice in it included', () => {
  const roots = buildTree(
    ['shop', 'shop.web', 'shop.db', 'ops'],
    [
      { host: 'web-1', nodes: ['shop.web'] },
      { host: 'both', nodes: ['shop.web', 'shop.db'] },
    ],
    [{ paths: ['shop.db'] }, { paths: ['shop.web', 'shop.db'] }],
  )
  const shop = roots.find((r) => r.path === 'shop')!
  expect(shop).toMatchObject({ hosts: 2, firing: 2 })
  expect(shop.children.map((c) => [c.path, c.hosts, c.firing])).toEqual([
    ['shop.db', 1, 2],
    ['shop.web', 2, 1],
  ])
  expect(roots.find((r) => r.path === 'ops')).toMatchObject({ hosts: 0, firing: 0 })
})

it('filters the tree keeping the ancestors of matches, and lists what the keyboard walks', () => {
  const roots = buildTree(['a', 'a.b', 'a.b.match', 'a.c'], [], [])
  const shown = filterTree(roots, 'MATCH')
  expect(visiblePaths(shown, new Set(['a', 'a.b']))).toEqual(['a', 'a.b', 'a.b.match'])
  expect(visiblePaths(roots, new Set())).toEqual(['a'])
})

it('aligns series on one axis: shared buckets as they are, different ones merged with gaps', () => {
  const same = align([
    { timestamps: [1, 2], values: [1, 2] },
    { timestamps: [1, 2], values: [3, 4] },
  ])
  expect(same).toEqual([
    [1, 2],
    [1, 2],
    [3, 4],
  ])
  const merged = align([
    { timestamps: [10, 30], values: [1, 3] },
    { timestamps: [20, 30, 40], values: [2, 3, 4] },
  ])
  expect(Array.from(merged[0])).toEqual([10, 20, 30, 40])
  // undefined, not null: uPlot joins a line across a time only another series has.
  expect(merged.slice(1)).toEqual([
    [1, undefined, 3, undefined],
    [undefined, 2, 3, 4],
  ])
})

it('resolves relative and absolute range ends, and falls back on an inverted range', () => {
  expect(resolveTime('now-6h', 100_000)).toBe(100_000 - 6 * 3600)
  expect(resolveTime('1767222000', 0)).toBe(1767222000)
  expect(resolveTime('yesterday', 0)).toBeNull()
  expect(resolveRange({ from: 'now', to: 'now-1h' }, 10_000)).toEqual({ from: 6400, to: 10_000 })
})

it('calls a host up, stale or down by its last report', () => {
  expect(hostStatus(990, 1000)).toBe('up')
  expect(hostStatus(1000 - 3600, 1000)).toBe('stale')
  expect(hostStatus(undefined, 1000)).toBe('down')
})

it('renders a button a test can press (the component test setup works)', () => {
  let pressed = 0
  render(
    <button type="button" onClick={() => pressed++}>
      Press
    </button>,
  )
  fireEvent.click(screen.getByRole('button', { name: 'Press' }))
  expect(pressed).toBe(1)
})
