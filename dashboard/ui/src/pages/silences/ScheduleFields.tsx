import { useMemo } from 'react'
import { Checkboxes } from '../../forms/Checkboxes.tsx'
import { Field } from '../../forms/Field.tsx'
import { InputWithSuggestions } from '../../forms/InputWithSuggestions.tsx'
import { parseLocal } from '../../time/range.ts'
import type { EditorFields } from './editor-fields.ts'
import { WEEKDAYS } from './silence-describe.ts'
import { HOUR, localInput } from './silence-form.ts'

const DAYS = WEEKDAYS.map((label, value) => ({ value, label }))
const EXTEND = [
  { label: '+1 h', hours: 1 },
  { label: '+4 h', hours: 4 },
  { label: '+1 d', hours: 24 },
]

/** When a silence holds: one range (from/to), or weekly windows (maintenance), in a time zone. */
export function ScheduleFields({ f }: { f: EditorFields }) {
  const { form, set, errorFor } = f
  const zones = useMemo(() => Intl.supportedValuesOf('timeZone'), [])
  // Extending from a past end starts from now: an extension is meant to hold from here on.
  const extend = (hours: number) => {
    const now = Math.floor(Date.now() / 1000)
    const to = Math.max(parseLocal(form.to) ?? now, now)
    set({ to: localInput(to + hours * HOUR) }, 'schedule.to')
  }
  return (
    <fieldset className="stack">
      <legend>When</legend>
      <fieldset className="row inline">
        <legend>Repeats</legend>
        {(['once', 'weekly'] as const).map((kind) => (
          <label key={kind} className="check">
            <input
              type="radio"
              name="kind"
              checked={form.kind === kind}
              onChange={() => set({ kind }, 'schedule')}
            />
            {kind === 'once' ? 'Once' : 'Every week'}
          </label>
        ))}
      </fieldset>
      {form.kind === 'once' ? (
        <div className="row">
          <Field label="From" error={errorFor('schedule.from')}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={form.from}
                onChange={(e) => set({ from: e.target.value }, 'schedule.from')}
              />
            )}
          </Field>
          <Field label="To" error={errorFor('schedule.to')}>
            {(p) => (
              <input
                {...p}
                type="datetime-local"
                value={form.to}
                onChange={(e) => set({ to: e.target.value }, 'schedule.to')}
              />
            )}
          </Field>
          <fieldset className="row inline" aria-label="Extend the end">
            {EXTEND.map((x) => (
              <button key={x.hours} type="button" onClick={() => extend(x.hours)}>
                {x.label}
              </button>
            ))}
          </fieldset>
        </div>
      ) : (
        <>
          <Checkboxes
            legend="Days the window starts on"
            options={DAYS}
            chosen={form.days}
            onChange={(days) => set({ days }, 'schedule.days')}
            error={errorFor('schedule.days')}
          />
          <div className="row">
            <Field label="Start" error={errorFor('schedule.start')}>
              {(p) => (
                <input
                  {...p}
                  type="time"
                  value={form.start}
                  onChange={(e) => set({ start: e.target.value }, 'schedule.start')}
                />
              )}
            </Field>
            <Field label="End" error={errorFor('schedule.end')} hint="not after start: the next day">
              {(p) => (
                <input
                  {...p}
                  type="time"
                  value={form.end}
                  onChange={(e) => set({ end: e.target.value }, 'schedule.end')}
                />
              )}
            </Field>
            <Field label="Time zone" error={errorFor('schedule.timeZone')}>
              {(p) => (
                <InputWithSuggestions
                  {...p}
                  value={form.timeZone}
                  suggestions={zones}
                  onChange={(e) => set({ timeZone: e.target.value }, 'schedule.timeZone')}
                />
              )}
            </Field>
          </div>
          <div className="row">
            <Field label="In force from (optional)" error={errorFor('schedule.from')}>
              {(p) => (
                <input
                  {...p}
                  type="datetime-local"
                  value={form.weeklyFrom}
                  onChange={(e) => set({ weeklyFrom: e.target.value }, 'schedule.from')}
                />
              )}
            </Field>
            <Field label="Until (optional)" error={errorFor('schedule.until')}>
              {(p) => (
                <input
                  {...p}
                  type="datetime-local"
                  value={form.until}
                  onChange={(e) => set({ until: e.target.value }, 'schedule.until')}
                />
              )}
            </Field>
          </div>
        </>
      )}
    </fieldset>
  )
}
