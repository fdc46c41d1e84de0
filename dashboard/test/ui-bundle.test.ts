import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { expect, it } from 'vitest'
import { buildUiIfStale } from '../../scripts/ui-build.mjs'
import { BUILT_UI_DIR } from '../src/ui.ts'

const BUDGET_GZIP_BYTES = 300 * 1024

it('keeps what the first page loads within 300 KB gzip; the pages load on demand', async () => {
  buildUiIfStale()
  const html = await readFile(join(BUILT_UI_DIR, 'index.html'), 'utf8')
  // What the browser fetches before the first paint: the entry script, its preloaded imports and CSS.
  const initial = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!)
  expect(initial.some((f) => f.endsWith('.js'))).toBe(true)
  expect(initial.join(' '), 'a production build').not.toMatch(/dev-runtime/)
  let gzipped = 0
  for (const file of initial) gzipped += gzipSync(await readFile(join(BUILT_UI_DIR, file))).length
  console.log(`initial bundle: ${initial.length} files, ${(gzipped / 1024).toFixed(1)} KB gzip`)
  expect(gzipped).toBeLessThanOrEqual(BUDGET_GZIP_BYTES)
  // uPlot and the pages are not in it: they come with the first chart or page that needs them.
  const entry = await readFile(join(BUILT_UI_DIR, initial.find((f) => f.endsWith('.js'))!), 'utf8')
  expect(entry).not.toMatch(/uPlot/)
})
