// The docs must not send users the wrong way: every link and file they name exists, none denies
// the web UI that exists, and every strategy function is defined in them rather than only named.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { FUNCTIONS } from '@peregrine/common'
import { expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '../..')
const docs = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
)
const read = (file: string) => readFileSync(join(root, file), 'utf8')

it('links only to files that exist', () => {
  const missing = docs.flatMap((file) =>
    [...read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
      .map((m) => m[1]!)
      .filter((link) => !/^[a-z]+:/.test(link) && !existsSync(resolve(dirname(join(root, file)), link)))
      .map((link) => `${file}: ${link}`),
  )
  expect(missing).toEqual([])
})

it('names no document outside the repository and does not deny the web UI', () => {
  for (const file of docs) {
    const text = read(file)
    expect(text, file).not.toMatch(/SEMANTICS\.md/)
    expect(text, file).not.toMatch(/no (web )?UI|UI yet|no web interface/i)
  }
  expect(read('README.md')).toContain('](docs/ui.md)')
})

it('defines every strategy function, the windows, hold, nodata and the rest of the language', () => {
  const text = read('docs/strategy-language.md')
  for (const fn of FUNCTIONS) expect(text, fn).toMatch(new RegExp(`^\\| \`${fn}\\(#N\\)\`[^|]*\\| \\S`, 'm'))
  for (const term of ['## hold', '## No data', '## Active window', '## Compound conditions', '## Flapping'])
    expect(text, term).toContain(term)
  for (const term of ['`#N` (1–999)', 'a duration, `90s`']) expect(text, term).toContain(term)
  expect(read('docs/tree-and-strategies.md')).toContain('](strategy-language.md)')
})
