import { useEffect, useState } from 'react'
import { formatLocal, isRelative, PRESETS, parseLocal, REFRESH_CHOICES, zoomOut } from './range.ts'
import type { RangeState } from './use-range.ts'

/** Relative presets, an absolute from/to, zooming out, and the auto-refresh interval. */
export function TimeRangePicker({ range }: { range: RangeState }) {
  const [from, setFrom] = useState(formatLocal(range.from))
  const [to, setTo] = useState(formatLocal(range.to))
  const [error, setError] = useState('')
  useEffect(() => {
    setFrom(formatLocal(range.from))
    setTo(formatLocal(range.to))
  }, [range.from, range.to])

  const preset = isRelative(range.spec) && range.spec.to === 'now' ? range.spec.from : ''
  const apply = () => {
    const f = parseLocal(from)
    const t = parseLocal(to)
    if (f === null || t === null) return setError('Times are YYYY-MM-DD HH:MM')
    if (f >= t) return setError('From must be before to')
    setError('')
    range.setSpec({ from: String(f), to: String(t) })
  }
  return (
    <form
      className="row time-range"
      aria-label="Time range"
      onSubmit={(e) => {
        e.preventDefault()
        apply()
      }}
    >
      <label>
        Range
        <select
          value={preset}
          onChange={(e) => e.target.value && range.setSpec({ from: e.target.value, to: 'now' })}
        >
          {preset === '' && <option value="">Absolute</option>}
          {preset !== '' && !PRESETS.some((p) => p.from === preset) && (
            <option value={preset}>Since {preset}</option>
          )}
          {PRESETS.map((p) => (
            <option key={p.from} value={p.from}>
              {p.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        From
        <input value={from} onChange={(e) => setFrom(e.target.value)} size={16} />
      </label>
      <label>
        To
        <input value={to} onChange={(e) => setTo(e.target.value)} size={16} />
      </label>
      <button type="submit">Apply</button>
      <button
        type="button"
        onClick={() =>
          range.setSpec(zoomOut(range.spec, range.from, range.to, Math.floor(Date.now() / 1000)))
        }
      >
        Zoom out
      </button>
      <label>
        Auto-refresh
        <select value={range.refresh} onChange={(e) => range.setRefresh(Number(e.target.value))}>
          {REFRESH_CHOICES.map((c) => (
            <option key={c.seconds} value={c.seconds}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      {error && (
        <span role="alert" className="field-error">
          {error}
        </span>
      )}
    </form>
  )
}
