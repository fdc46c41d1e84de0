const CHOICES: readonly { label: string; step: number | undefined }[] = [
  { label: 'Automatic', step: undefined },
  // The API never goes below a series' own step: 1 s asks for every stored point.
  { label: 'Raw (every point)', step: 1 },
  { label: '10 s', step: 10 },
  { label: '1 min', step: 60 },
  { label: '5 min', step: 300 },
  { label: '1 h', step: 3600 },
  { label: '1 day', step: 86_400 },
]

/** The seconds per point: automatic (the API picks about 2000 points), raw, or fixed. */
export function StepPicker(props: { step: number | undefined; onChange(step: number | undefined): void }) {
  const known = CHOICES.some((c) => c.step === props.step)
  return (
    <label>
      Resolution
      <select
        value={props.step ?? ''}
        onChange={(e) => props.onChange(e.target.value ? Number(e.target.value) : undefined)}
      >
        {CHOICES.map((c) => (
          <option key={c.label} value={c.step ?? ''}>
            {c.label}
          </option>
        ))}
        {!known && <option value={props.step}>{props.step} s</option>}
      </select>
    </label>
  )
}
