/** A value as axes and legends show it: short (12.5k, 3.20M), with the unit when given. */
export function formatValue(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–'
  const abs = Math.abs(v)
  const text =
    abs >= 1e9
      ? `${(v / 1e9).toFixed(2)}G`
      : abs >= 1e6
        ? `${(v / 1e6).toFixed(2)}M`
        : abs >= 1e4
          ? `${(v / 1e3).toFixed(1)}k`
          : `${+v.toFixed(3)}`
  return unit ? `${text} ${unit}` : text
}
