// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react'
import { MemoryRouter, useLocation } from 'react-router'
import type uPlot from 'uplot'
import { afterEach, beforeAll, expect, it, vi } from 'vitest'
import { Api } from '../src/api.ts'
import { align } from '../src/chart/align.ts'
import { Chart, type ChartSeries } from '../src/chart/Chart.tsx'
import { toColumns } from '../src/chart/columns.ts'
import { formatValue } from '../src/chart/format.ts'
import { loadSeries, MAX_PREFIX_ENDPOINTS, seriesLabel, toChartSeries } from '../src/chart/history.ts'
import { m4Line } from '../src/chart/paths.ts'
import { zoomOut } from '../src/time/range.ts'
import { TimeRangePicker } from '../src/time/TimeRangePicker.tsx'
import { useRange } from '../src/time/use-range.ts'
import type { HistorySeries } from '../src/types.ts'
import { installFakeCanvas } from './charts-fake-canvas.ts'
import { type Call, fakeApi, Reply } from './fake-api.tsx'

beforeAll(installFakeCanvas)
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

it('hands series sharing their buckets to uPlot as they are, without copying', () => {
  const a = { timestamps: [10, 20, 30], values: [1, 2, 3], interval: 10 }
  const b = { timestamps: [10, 20, 30], values: [4, null, 6], interval: 10 }
  const [xs, ya, yb] = align([a, b])
  expect(xs).toBe(a.timestamps)
  expect(ya).toBe(a.values)
  expect(yb).toBe(b.values)
})

it('joins a line across a time only another series has, and breaks it at a null', () => {
  // b is a counter that lost the bucket at 20 (a reset): its line joins 10 to 30.
  const [xs, ya, yb] = align([
    { timestamps: [10, 20, 30], values: [1, null, 3] },
    { timestamps: [10, 30], values: [4, 6] },
  ])
  expect(Array.from(xs)).toEqual([10, 20, 30])
  expect(ya).toEqual([1, null, 3])
  expect(yb).toHaveLength(3)
  expect(yb![1]).toBeUndefined()
  expect([yb![0], yb![2]]).toEqual([4, 6])
})

it('merges series on different instants into one sorted axis', () => {
  const [xs, ya, yb] = align([
    { timestamps: [0, 60, 120], values: [1, 2, 3] },
    { timestamps: [30, 90], values: [7, 8] },
    { timestamps: [], values: [] },
  ])
  expect(Array.from(xs)).toEqual([0, 30, 60, 90, 120])
  expect(Array.from(ya!)).toEqual([1, undefined, 2, undefined, 3])
  expect(Array.from(yb!)).toEqual([undefined, 7, undefined, 8, undefined])
  expect(align([])).toEqual([[]])
})

it('breaks a line over a silence longer than twice the interval, not over a late bucket', () => {
  const [xs, y] = align([{ timestamps: [0, 10, 30, 100, 110], values: [1, 2, 3, 4, 5], interval: 10 }])
  // 10 → 30 is one bucket late (jitter) and joins; 30 → 100 is a silence: a null at 40 breaks it.
  expect(Array.from(xs)).toEqual([0, 10, 30, 40, 100, 110])
  expect(Array.from(y!)).toEqual([1, 2, 3, null, 4, 5])
  // A second series on the same times breaks there too; one stored each minute (interval 60) does not.
  const times = [0, 10, 30, 100, 110]
  const [, a, b, c] = align([
    { timestamps: times, values: [1, 2, 3, 4, 5], interval: 10 },
    { timestamps: times, values: [6, 7, 8, 9, 0], interval: 10 },
    { timestamps: times, values: [1, 1, 1, 1, 1], interval: 60 },
  ])
  expect([a, b, c].map((col) => Array.from(col!))).toEqual([
    [1, 2, 3, null, 4, 5],
    [6, 7, 8, null, 9, 0],
    [1, 1, 1, undefined, 1, 1],
  ])
})

it('breaks only the silent series when another has points in its silence', () => {
  const [xs, quiet, busy] = align([
    { timestamps: [0, 50], values: [1, 2], interval: 10 },
    { timestamps: [0, 10, 20, 30, 40, 50], values: [0, 0, 0, 0, 0, 0], interval: 10 },
  ])
  expect(Array.from(xs)).toEqual([0, 10, 20, 30, 40, 50])
  expect(Array.from(quiet!)).toEqual([1, null, undefined, undefined, undefined, 2])
  expect(busy).toEqual([0, 0, 0, 0, 0, 0])
})

it('widens a range: one ending now stays relative, another grows around its middle but not past now', () => {
  expect(zoomOut({ from: 'now-1h', to: 'now' }, 6400, 10_000, 10_000)).toEqual({ from: 'now-2h', to: 'now' })
  expect(zoomOut({ from: 'now-15m', to: 'now' }, 100, 1000, 1000)).toEqual({ from: 'now-30m', to: 'now' })
  expect(zoomOut({ from: '1000', to: '2000' }, 1000, 2000, 10_000)).toEqual({ from: '500', to: '2500' })
  expect(zoomOut({ from: '1000', to: '2000' }, 1000, 2000, 2100)).toEqual({ from: '100', to: '2100' })
})

const historySeries = (over: Partial<HistorySeries>): HistorySeries => ({
  endpoint: 'web-1',
  metric: 'cpu.busy',
  tags: '',
  counterType: 'GAUGE',
  step: 10,
  resolution: 'raw',
  interval: 10,
  timestamps: [0, 10],
  values: [1, 2],
  ...over,
})

it('labels counters as rates and keeps a series stored less often than asked from gaps', () => {
  const counter = historySeries({ metric: 'net.if.in.bytes', tags: 'iface=eth0', counterType: 'COUNTER' })
  expect(seriesLabel(counter)).toBe('web-1 net.if.in.bytes{iface=eth0} /s')
  expect(seriesLabel(historySeries({}), false)).toBe('cpu.busy')
  const [chart] = toChartSeries(
    toColumns({ from: 0, to: 1, series: [historySeries({ step: 60, interval: 10 })] }).series,
  )
  expect(chart).toMatchObject({ label: 'web-1 cpu.busy', interval: 60 })
})

it('holds an answer in typed arrays, NaN where the API said null, and shows NaN as no value', () => {
  const [s] = toColumns({
    from: 0,
    to: 1,
    series: [historySeries({ timestamps: [0, 10, 20], values: [1, null, 3] })],
  }).series
  expect(s!.timestamps).toBeInstanceOf(Float64Array)
  expect(Array.from(s!.values)).toEqual([1, Number.NaN, 3])
  expect(s).not.toHaveProperty('min')
  expect([
    formatValue(Number.NaN, '%'),
    formatValue(null),
    formatValue(12_345, 'B/s'),
    formatValue(0.1234),
  ]).toEqual(['–', '–', '12.3k B/s', '0.123'])
})

/** A Path2D that records its moves and lines. */
class RecordingPath {
  ops: string[] = []
  moveTo(x: number, y: number) {
    this.ops.push(`M${x},${y}`)
  }
  lineTo(x: number, y: number) {
    this.ops.push(`L${x},${y}`)
  }
}

/** m4Line over a plot 10 px wide at 0, y from 0 (bottom, pixel 100) to 100 (top, pixel 0). */
function m4(xs: number[], ...columns: ArrayLike<number | null | undefined>[]) {
  vi.stubGlobal('Path2D', RecordingPath)
  const u = {
    data: [xs, ...columns],
    series: [{}, ...columns.map(() => ({ scale: 'y' }))],
    scales: { x: { min: 0, max: 10 }, y: { min: 0, max: 100 } },
    bbox: { left: 0, top: 0, width: 10, height: 100 },
  } as unknown as uPlot
  return columns.map((_, i) => (m4Line(u, i + 1, 0, xs.length - 1)!.stroke as unknown as RecordingPath).ops)
}

it('draws several points of a pixel column as its first, lowest, highest and last value', () => {
  // x 0…0.4 fall in column 0, 1 in column 1, 2.2 in column 2.
  const [ops] = m4([0, 0.1, 0.2, 0.3, 0.4, 1, 2.2], [50, 90, 10, 60, 40, 70, 70])
  expect(ops).toEqual(['M0,50', 'L0,90', 'L0,10', 'L0,60', 'L1,30', 'L2,30'])
})

it('breaks the line at null and NaN, steps over undefined, and shares the columns between series', () => {
  const xs = [0, 1, 2, 3, 4, 5]
  const [a, b] = m4(
    xs,
    [10, null, 20, undefined, 30, 40],
    Float64Array.from([10, 20, Number.NaN, 30, 40, 50]),
  )
  expect(a).toEqual(['M0,90', 'M2,80', 'L4,70', 'L5,60'])
  expect(b).toEqual(['M0,90', 'L1,80', 'M3,70', 'L4,60', 'L5,50'])
})

it('loads a prefix query as one history request per endpoint having the metric, each series once', async () => {
  const calls = fakeApi({
    'GET /api/v1/series': () => ({
      series: [
        { endpoint: 'web-1', metric: 'cpu.busy', tags: '' },
        { endpoint: 'web-1', metric: 'cpu.busy.max', tags: '' },
        { endpoint: 'web-2', metric: 'cpu.busy', tags: 'core=0' },
        { endpoint: 'web-3', metric: 'cpu.busyness', tags: '' },
      ],
    }),
    'GET /api/v1/history': ({ query }: Call) => ({
      from: 1,
      to: 2,
      series: [
        historySeries({ endpoint: query.get('endpoint')!, tags: '' }),
        historySeries({ endpoint: query.get('endpoint')!, tags: 'core=0' }),
      ],
    }),
  })
  const loaded = await loadSeries(
    new Api('t'),
    [
      { endpoint: 'web-', prefix: true, metric: 'cpu.busy', tags: '', untagged: true },
      { endpoint: 'web-1', metric: 'cpu.busy', tags: '' },
    ],
    { from: 100, to: 200, step: 10 },
    new AbortController().signal,
  )
  const history = calls.filter((c) => c.path === '/api/v1/history')
  expect(history.map((c) => c.query.get('endpoint')).sort()).toEqual(['web-1', 'web-1', 'web-2'])
  expect(history[0]!.query.get('step')).toBe('10')
  // web-1's untagged series is in both queries; web-1 core=0 only in the second.
  expect(loaded.series.map((s) => `${s.endpoint} ${s.tags}`)).toEqual(['web-1 ', 'web-2 ', 'web-1 core=0'])
  expect(loaded).toMatchObject({ from: 100, to: 200, notes: [] })
})

it('charts only the first endpoints of a prefix matching too many, and says so', async () => {
  const many = Array.from({ length: MAX_PREFIX_ENDPOINTS + 5 }, (_, i) => ({
    endpoint: `h-${i}`,
    metric: 'load.1min',
    tags: '',
  }))
  const calls = fakeApi({
    'GET /api/v1/series': { series: many },
    'GET /api/v1/history': { from: 1, to: 2, series: [] },
  })
  const q = { endpoint: 'h-', prefix: true, metric: 'load.1min', tags: '' }
  const loaded = await loadSeries(new Api('t'), [q], { from: 1, to: 2 }, new AbortController().signal)
  expect(calls.filter((c) => c.path === '/api/v1/history')).toHaveLength(MAX_PREFIX_ENDPOINTS)
  expect(loaded.notes).toEqual([
    `h-* load.1min matches more than ${MAX_PREFIX_ENDPOINTS} endpoints: the first ${MAX_PREFIX_ENDPOINTS} are drawn`,
  ])
})

it('draws the lines it may read and notes the refused ones and a prefix matching nothing', async () => {
  fakeApi({
    'GET /api/v1/series': { series: [] },
    'GET /api/v1/history': ({ query }: Call) =>
      query.get('endpoint') === 'db-1'
        ? new Reply(403, { message: 'db-1 is outside the scope' })
        : { from: 1, to: 2, series: [historySeries({ endpoint: query.get('endpoint')! })] },
  })
  const loaded = await loadSeries(
    new Api('t'),
    [
      { endpoint: 'db-1', metric: 'cpu.busy', tags: '', untagged: true },
      { endpoint: 'none-', prefix: true, metric: 'cpu.busy', tags: 'core=0' },
      { endpoint: 'web-1', metric: 'cpu.busy', tags: '' },
    ],
    { from: 1, to: 2 },
    new AbortController().signal,
  )
  expect(loaded.series.map((s) => s.endpoint)).toEqual(['web-1'])
  expect(loaded.notes).toEqual([
    'none-* cpu.busy{core=0} matches no endpoint',
    'db-1 cpu.busy (untagged): db-1 is outside the scope',
  ])
})

const chartSeries = (labels: string[]): ChartSeries[] =>
  labels.map((label, i) => ({ label, timestamps: [100, 110, 120], values: [i, i + 1, i + 2] }))

it('reports the time to put new data on the canvas, once per new data and not for redraws', async () => {
  const drawn = vi.fn()
  const props = { from: 100, to: 120, onDrawn: drawn }
  const { rerender } = render(<Chart {...props} series={chartSeries(['a', 'b'])} />)
  await act(async () => {})
  expect(drawn).toHaveBeenCalledTimes(1)
  expect(drawn.mock.calls[0]![0]).toBeGreaterThanOrEqual(0)
  const same = chartSeries(['a', 'b'])
  rerender(<Chart {...props} series={same} />)
  await act(async () => {})
  expect(drawn).toHaveBeenCalledTimes(2)
  // Same data, new markers or a new range: redraws, not reported.
  rerender(<Chart {...props} series={same} markers={[{ timestamp: 110, color: 'red', label: 'x' }]} />)
  await act(async () => {})
  rerender(<Chart {...props} from={105} series={same} />)
  await act(async () => {})
  expect(drawn).toHaveBeenCalledTimes(2)
})

it('toggles a series from the legend by keyboard, and keeps it hidden when the chart is rebuilt', async () => {
  const { rerender } = render(<Chart from={100} to={120} series={chartSeries(['a', 'b'])} />)
  await act(async () => {})
  const b = screen.getByRole('switch', { name: 'b' })
  expect(b.getAttribute('aria-checked')).toBe('true')
  fireEvent.keyDown(b, { key: 'Enter' })
  expect(b.getAttribute('aria-checked')).toBe('false')
  expect(b.closest('tr')!.classList.contains('u-off')).toBe(true)
  // A third series arrives: the chart is built anew, b stays hidden, c shows.
  rerender(<Chart from={100} to={120} series={chartSeries(['a', 'b', 'c'])} />)
  await act(async () => {})
  expect(screen.getByRole('switch', { name: 'b' }).getAttribute('aria-checked')).toBe('false')
  expect(screen.getByRole('switch', { name: 'c' }).getAttribute('aria-checked')).toBe('true')
  fireEvent.keyDown(screen.getByRole('switch', { name: 'b' }), { key: ' ' })
  expect(screen.getByRole('switch', { name: 'b' }).getAttribute('aria-checked')).toBe('true')
})

it('builds the chart again in the new colours when the theme changes, hidden series still hidden', async () => {
  const { container } = render(<Chart from={100} to={120} series={chartSeries(['a', 'b'])} />)
  await act(async () => {})
  fireEvent.keyDown(screen.getByRole('switch', { name: 'a' }), { key: 'Enter' })
  const before = container.querySelector('.uplot')
  await act(async () => {
    document.documentElement.dataset.theme = 'dark'
  })
  const after = container.querySelector('.uplot')
  expect(after).not.toBeNull()
  expect(after).not.toBe(before)
  expect(screen.getByRole('switch', { name: 'a' }).getAttribute('aria-checked')).toBe('false')
  delete document.documentElement.dataset.theme
})

function RangeUnderTest() {
  const range = useRange()
  const location = useLocation()
  return (
    <>
      <TimeRangePicker range={range} />
      <output aria-label="location">{location.search}</output>
    </>
  )
}

it('zooms out from the picker, keeping a range that ends now relative, and names a range no preset has', () => {
  render(
    <MemoryRouter initialEntries={['/?from=now-1h&to=now']}>
      <RangeUnderTest />
    </MemoryRouter>,
  )
  const range = screen.getByRole('combobox', { name: 'Range' }) as HTMLSelectElement
  expect(range.selectedOptions[0]!.textContent).toBe('Last hour')
  fireEvent.click(screen.getByRole('button', { name: 'Zoom out' }))
  expect(new URLSearchParams(screen.getByRole('status', { name: 'location' }).textContent!).get('from')).toBe(
    'now-2h',
  )
  expect(range.selectedOptions[0]!.textContent).toBe('Since now-2h')
})
