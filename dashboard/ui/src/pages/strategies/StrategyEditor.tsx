import { MAX_EXTRA_CONDITIONS, PRIORITIES } from '@peregrine/common/model/strategy'
import { type FormEvent, useCallback, useMemo, useState } from 'react'
import { ApiError, seg } from '../../api.ts'
import { ErrorNote } from '../../ErrorNote.tsx'
import { type Refusal, useCheckedForm } from '../../forms/use-checked-form.ts'
import { useSession } from '../../session.tsx'
import { ConditionFields } from './ConditionFields.tsx'
import { CheckboxField, FieldsContext, type FieldsState, SelectField, TextField } from './fields.tsx'
import { bodyOf, type ConditionForm, emptyCondition, type StrategyForm, trialOf, validate } from './form.ts'
import { Preview } from './Preview.tsx'
import { Receivers } from './Receivers.tsx'

export interface EditorProps {
  /** Path of the node the strategy is (to be) bound to; null for an expression. */
  node: string | null
  initial: StrategyForm
  /** The stored strategy being edited; none for a new one. */
  stored?: { id: string; revision: number }
  /** Shows the strategy and its preview without offering to change it. */
  readOnly: boolean
  /** After a save or a delete. */
  onDone(): void
  /** Reads the stored strategy again (after someone else changed it). */
  onReload?(): void
}

/** A save or delete refused because someone else changed the strategy since it was read. */
const isStale = (err: unknown) =>
  err instanceof ApiError && err.status === 409 && /changed since revision/.test(err.message)

/** The field a refusal is about: the one a 400 names, or the name, taken at this node (a 409). */
const fieldOf = (err: ApiError) => (err.status === 409 ? (isStale(err) ? undefined : 'name') : err.field)

const PRIORITY_OPTIONS = PRIORITIES.map((p) => ({
  value: String(p),
  label: `${p}${p === 0 ? ' (highest)' : p === 6 ? ' (lowest)' : ''}`,
}))

/**
 * Creates or edits a strategy. Every change is checked against the schema the server checks with
 * (StrategyCreate), each field's error shown beside it once the field was touched (or a save was
 * tried); a valid condition is backtested over the last 24 hours as a preview.
 */
export function StrategyEditor(props: EditorProps) {
  const { api } = useSession()
  const [confirmDelete, setConfirmDelete] = useState(false)
  const check = useCallback(
    (f: StrategyForm) => {
      const body = bodyOf(f, props.node)
      return { body, errors: validate(body) }
    },
    [props.node],
  )
  const checked = useCheckedForm({ initial: props.initial, check, fieldOf })
  const { values: form, body, errors, change, busy } = checked
  const trial = useMemo(() => trialOf(body), [body])

  const fields: FieldsState = { errorOf: checked.error, touch: checked.touch, disabled: props.readOnly }
  const set =
    <K extends keyof StrategyForm>(key: K, field: string = key) =>
    (v: StrategyForm[K]) =>
      change({ [key]: v }, field)
  const setAlso = (i: number, patch: Partial<ConditionForm>, field: string) =>
    change({ also: form.also.map((c, j) => (j === i ? { ...c, ...patch } : c)) }, field)
  const removeAlso = (i: number) => {
    const also = form.also.filter((_, j) => j !== i)
    change({ also, ...(also.length === 0 && { combine: '' as const }) }, 'also')
  }

  const save = (e: FormEvent) => {
    e.preventDefault()
    const stored = props.stored
    return checked.submit(async (body) => {
      if (stored)
        await api.put(`/api/v1/strategies/${seg(stored.id)}`, { ...body, revision: stored.revision })
      else await api.post('/api/v1/strategies', body)
      props.onDone()
    })
  }

  const remove = async () => {
    const stored = props.stored
    if (!stored) return
    const removed = await checked.run(async () => {
      await api.delete(`/api/v1/strategies/${seg(stored.id)}`, { revision: stored.revision })
      props.onDone()
    })
    if (!removed) setConfirmDelete(false)
  }

  const advanced =
    form.also.length > 0 ||
    [form.hold, form.nodata, form.activeFrom, form.activeTo, form.callbackUrl].some((v) => v !== '')

  return (
    <div className="strategy-editor">
      <FieldsContext.Provider value={fields}>
        <form ref={checked.ref} className="stack" onSubmit={save} aria-label="Strategy" noValidate>
          <fieldset className="row" disabled={props.readOnly}>
            <legend>Strategy</legend>
            <TextField field="name" label="Name" value={form.name} onChange={set('name')} />
            <SelectField
              field="priority"
              label="Priority"
              value={form.priority}
              onChange={set('priority')}
              options={PRIORITY_OPTIONS}
            />
            <CheckboxField field="enabled" label="Enabled" value={form.enabled} onChange={set('enabled')} />
          </fieldset>
          <fieldset disabled={props.readOnly}>
            <legend>Condition</legend>
            <ConditionFields prefix="" value={form} onChange={change} />
          </fieldset>
          <Receivers value={form.receivers} onChange={set('receivers')} />
          <fieldset className="row" disabled={props.readOnly}>
            <legend>Notifications</legend>
            <TextField
              field="maxNotifications"
              label="Max notifications"
              value={form.maxNotifications}
              onChange={set('maxNotifications')}
              inputMode="numeric"
              hint="PROBLEMs sent per episode; 0 silences"
              className="narrow"
            />
            <TextField
              field="minIntervalSeconds"
              label="Min interval (s)"
              value={form.minIntervalSeconds}
              onChange={set('minIntervalSeconds')}
              inputMode="numeric"
              hint="between repeated PROBLEMs"
              className="narrow"
            />
            <TextField field="note" label="Note" value={form.note} onChange={set('note')} multiline />
          </fieldset>
          <details open={advanced}>
            <summary>Timing, compound conditions and callback</summary>
            <fieldset className="row" disabled={props.readOnly}>
              <legend>Timing</legend>
              <TextField
                field="hold"
                label="Hold"
                value={form.hold}
                onChange={set('hold')}
                placeholder="2m"
                hint="true this long before PROBLEM"
                className="narrow"
              />
              <TextField
                field="nodata"
                label="No data after"
                value={form.nodata}
                onChange={set('nodata')}
                placeholder="3m"
                hint="silence this long is a PROBLEM"
                className="narrow"
              />
              <TextField
                field="activeWindow.from"
                label="Active from"
                value={form.activeFrom}
                onChange={set('activeFrom', 'activeWindow.from')}
                placeholder="22:00"
                className="narrow"
              />
              <TextField
                field="activeWindow.to"
                label="Active until"
                value={form.activeTo}
                onChange={set('activeTo', 'activeWindow.to')}
                placeholder="06:00"
                hint="the judge's time zone; may cross midnight"
                className="narrow"
              />
            </fieldset>
            <fieldset className="stack" disabled={props.readOnly}>
              <legend>Extra conditions on the same endpoint</legend>
              {form.also.map((c, i) => (
                // Conditions have no identity but their place (inputs are controlled, so renumbering is safe).
                <fieldset key={i} aria-label={`Extra condition ${i + 1}`} className="extra-condition">
                  <legend>Extra condition {i + 1}</legend>
                  <ConditionFields
                    prefix={`also.${i}.`}
                    value={c}
                    onChange={(patch, field) => setAlso(i, patch, field)}
                  />
                  {!props.readOnly && (
                    <button type="button" onClick={() => removeAlso(i)}>
                      Remove extra condition {i + 1}
                    </button>
                  )}
                </fieldset>
              ))}
              {form.also.length > 0 && (
                <SelectField
                  field="combine"
                  label="Combine"
                  value={form.combine}
                  onChange={set('combine')}
                  options={[
                    { value: '', label: 'and (default)' },
                    { value: 'or', label: 'or' },
                  ]}
                />
              )}
              {!props.readOnly && form.also.length < MAX_EXTRA_CONDITIONS && (
                <button
                  type="button"
                  onClick={() => change({ also: [...form.also, emptyCondition()] }, 'also')}
                >
                  Add extra condition
                </button>
              )}
            </fieldset>
            <fieldset disabled={props.readOnly}>
              <legend>Callback</legend>
              <TextField
                field="callbackUrl"
                label="Callback URL"
                value={form.callbackUrl}
                onChange={set('callbackUrl')}
                placeholder="https://…"
                hint="called on every event; not an internal address"
              />
            </fieldset>
          </details>
          {checked.refusal && <SaveRefusal refusal={checked.refusal} onReload={props.onReload} />}
          {!props.readOnly && (
            <div className="row">
              <button type="submit" className="primary" disabled={busy}>
                {props.stored ? 'Save' : 'Create strategy'}
              </button>
              {props.stored &&
                (confirmDelete ? (
                  <>
                    <button type="button" className="danger" disabled={busy} onClick={remove}>
                      Really delete
                    </button>
                    <button type="button" onClick={() => setConfirmDelete(false)}>
                      Keep it
                    </button>
                  </>
                ) : (
                  <button type="button" className="danger" onClick={() => setConfirmDelete(true)}>
                    Delete
                  </button>
                ))}
            </div>
          )}
        </form>
      </FieldsContext.Provider>
      <div>
        <Preview strategy={trial} />
        {trial === null && (
          <p className="muted" data-testid="preview-waiting">
            Waiting for:{' '}
            {Object.keys(errors)
              .filter((k) => k !== 'name')
              .join(', ')}
          </p>
        )}
      </div>
    </div>
  )
}

function SaveRefusal({ refusal, onReload }: { refusal: Refusal; onReload?: (() => void) | undefined }) {
  if (isStale(refusal.error))
    return (
      <div role="alert" className="error stack">
        <p>
          Someone else changed this strategy since you opened it, so nothing was changed. Reload it to see
          their version, then try again.
        </p>
        {onReload && (
          <p>
            <button type="button" onClick={onReload}>
              Reload the strategy
            </button>
          </p>
        )}
      </div>
    )
  return (
    <>
      {refusal.field && <p className="muted">The server refused the field marked.</p>}
      <ErrorNote error={refusal.error} />
    </>
  )
}
