import { FUNCTIONS, OPERATORS } from '@peregrine/common/model/strategy'
import { SelectField, TextField } from './fields.tsx'
import type { ConditionForm } from './form.ts'

/**
 * The fields of one condition: which series (metric, tags) and what must be true of them. The
 * strategy's own condition has no prefix; an extra one of a compound strategy has `also.N.`.
 */
export function ConditionFields(props: {
  prefix: string
  value: ConditionForm
  onChange(patch: Partial<ConditionForm>, field: string): void
}) {
  const { prefix, value: c } = props
  const set =
    <K extends keyof ConditionForm>(key: K) =>
    (v: ConditionForm[K]) =>
      props.onChange({ [key]: v }, `${prefix}${key}`)
  // hits belongs to lookup alone: a function changed away from lookup drops it.
  const setFn = (fn: ConditionForm['fn']) =>
    props.onChange(fn === 'lookup' ? { fn } : { fn, hits: '' }, `${prefix}fn`)
  return (
    <div className="row condition-fields">
      <TextField field={`${prefix}metric`} label="Metric" value={c.metric} onChange={set('metric')} />
      <TextField
        field={`${prefix}tags`}
        label="Tags"
        value={c.tags}
        onChange={set('tags')}
        placeholder="k=v,k2=v2"
        hint="a series matches when it has all of them"
      />
      <SelectField field={`${prefix}fn`} label="Function" value={c.fn} onChange={setFn} options={FUNCTIONS} />
      <TextField
        field={`${prefix}window`}
        label="Window"
        value={c.window}
        onChange={set('window')}
        placeholder="#3 or 5m"
        className="narrow"
      />
      {c.fn === 'lookup' && (
        <TextField
          field={`${prefix}hits`}
          label="Hits"
          value={c.hits}
          onChange={set('hits')}
          inputMode="numeric"
          hint="values of the window that must satisfy"
          className="narrow"
        />
      )}
      <SelectField
        field={`${prefix}operator`}
        label="Operator"
        value={c.operator}
        onChange={set('operator')}
        options={OPERATORS}
        {...(c.fn === 'stddev' && { hint: 'not used by stddev' })}
      />
      <TextField
        field={`${prefix}threshold`}
        label={c.fn === 'stddev' ? 'Threshold (k σ)' : 'Threshold'}
        value={c.threshold}
        onChange={set('threshold')}
        inputMode="decimal"
        className="narrow"
      />
    </div>
  )
}
