// Distinguishable on light and dark backgrounds alike (Okabe–Ito first, then a few more).
const PALETTE = [
  '#0072b2',
  '#e69f00',
  '#009e73',
  '#cc79a7',
  '#56b4e9',
  '#d55e00',
  '#8c6d31',
  '#7f7f7f',
  '#17becf',
  '#9467bd',
  '#bcbd22',
  '#e377c2',
  '#2ca02c',
  '#ff7f0e',
  '#1f77b4',
  '#d62728',
]

export const seriesColor = (i: number) => PALETTE[i % PALETTE.length]!

/** A CSS custom property of the page's theme, read when a chart is drawn. */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim()
  return v || fallback
}
