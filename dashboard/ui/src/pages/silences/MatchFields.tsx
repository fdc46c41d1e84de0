import { Checkboxes } from '../../forms/Checkboxes.tsx'
import { Field } from '../../forms/Field.tsx'
import { InputWithSuggestions } from '../../forms/InputWithSuggestions.tsx'
import type { Suggestions } from '../alarms/use-suggestions.ts'
import type { EditorFields } from './editor-fields.ts'

const PRIORITIES = [0, 1, 2, 3, 4, 5, 6].map((p) => ({ value: p, label: `P${p}` }))

/** What a silence matches: every matcher given must hold, at least one is needed. */
export function MatchFields({ f, suggestions }: { f: EditorFields; suggestions: Suggestions }) {
  const { form, set, errorFor } = f
  return (
    <fieldset className="stack">
      <legend>Matches (every one given must hold)</legend>
      <div className="row">
        <Field label="Node" error={errorFor('match.node')} hint="its hosts and those below">
          {(p) => (
            <InputWithSuggestions
              {...p}
              value={form.node}
              suggestions={suggestions.nodes}
              onChange={(e) => set({ node: e.target.value }, 'match.node')}
            />
          )}
        </Field>
        <Field label="Hosts" error={errorFor('match.hosts')} hint="separated by commas">
          {(p) => (
            <input
              {...p}
              value={form.hosts}
              onChange={(e) => set({ hosts: e.target.value }, 'match.hosts')}
            />
          )}
        </Field>
        <Field label="Strategy" error={errorFor('match.strategy')} hint="its id">
          {(p) => (
            <InputWithSuggestions
              {...p}
              value={form.strategy}
              suggestions={suggestions.strategies}
              onChange={(e) => set({ strategy: e.target.value }, 'match.strategy')}
            />
          )}
        </Field>
        <Field label="Metric" error={errorFor('match.metric')}>
          {(p) => (
            <input
              {...p}
              value={form.metric}
              onChange={(e) => set({ metric: e.target.value }, 'match.metric')}
            />
          )}
        </Field>
        <Field label="Tags" error={errorFor('match.tags')} hint="k=v pairs, e.g. dc=fra,role=db">
          {(p) => (
            <input {...p} value={form.tags} onChange={(e) => set({ tags: e.target.value }, 'match.tags')} />
          )}
        </Field>
      </div>
      <Checkboxes
        legend="Priorities"
        options={PRIORITIES}
        chosen={form.priorities}
        onChange={(priorities) => set({ priorities }, 'match.priorities')}
        error={errorFor('match.priorities')}
      />
      {errorFor('match') && (
        <p className="field-error" role="alert">
          {errorFor('match')}
        </p>
      )}
    </fieldset>
  )
}
