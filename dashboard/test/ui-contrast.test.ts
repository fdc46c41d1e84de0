import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, it } from 'vitest'

// The theme's colours are CSS variables; every pair the pages put text on must read, in both themes.
const css = readFileSync(join(import.meta.dirname, '..', 'ui', 'src', 'theme.css'), 'utf8')

function variables(selector: string): Record<string, string> {
  const start = css.indexOf(`${selector} {`)
  const block = css.slice(start, css.indexOf('}', start))
  return Object.fromEntries([...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]))
}

/** WCAG 2 relative luminance and contrast ratio. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x)
  return (hi! + 0.05) / (lo! + 0.05)
}

// [text, background]: body text, muted text, links and statuses on each surface, and badges
// (the background colour as text on a status colour).
const TEXT_PAIRS = [
  ...['fg', 'fg-muted', 'accent', 'danger', 'warn', 'ok'].flatMap((t) =>
    ['bg', 'bg-alt', 'bg-raised'].map((b) => [t, b] as const),
  ),
  ['accent-fg', 'accent'],
  ['bg', 'danger'],
  ['bg', 'warn'],
  ['bg', 'fg-muted'],
] as const

it('gives every text and background pair of both themes a contrast of at least 4.5:1 (WCAG AA)', () => {
  const light = variables(':root')
  const dark = { ...light, ...variables(':root[data-theme="dark"]') }
  for (const [name, theme] of [
    ['light', light],
    ['dark', dark],
  ] as const) {
    for (const [text, background] of TEXT_PAIRS) {
      const ratio = contrast(theme[text]!, theme[background]!)
      expect(ratio, `${name}: --${text} on --${background}`).toBeGreaterThanOrEqual(4.5)
    }
    // The focus ring is no text, but must stand out (3:1 for user interface components).
    expect(contrast(theme.focus!, theme.bg!), `${name}: focus ring`).toBeGreaterThanOrEqual(3)
  }
})
