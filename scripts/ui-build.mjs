// Builds the web UI (Vite) when dashboard/ui/dist is missing or older than its sources. Plain
// JavaScript: the bootstrap runs it before anything is compiled. A build records the hash of
// what it was built from, so a checkout of other sources (or an edit) builds again.
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dashboard', 'ui', 'dist')
const stamp = join(dist, '.source-hash')
// Everything the bundle is made of: the UI, the API schemas it imports types and checks from,
// and the locked dependency versions.
const SOURCES = [
  'dashboard/ui/src',
  'dashboard/ui/index.html',
  'dashboard/ui/vite.config.ts',
  'common/src',
  'package-lock.json',
]

function files(path) {
  if (!existsSync(path)) return []
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)))
}

export function uiSourceHash() {
  const hash = createHash('sha256')
  for (const file of SOURCES.flatMap((s) => files(join(root, s)))) {
    hash.update(relative(root, file))
    hash.update(readFileSync(file))
  }
  return hash.digest('hex')
}

/** Builds unless the built UI matches its sources; returns whether it built. */
export function buildUiIfStale(say = (msg) => console.error(`[ui] ${msg}`)) {
  const hash = uiSourceHash()
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === hash) return false
  say('building the web UI (vite build)')
  const r = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'dashboard/ui/vite.config.ts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      // A test runner's NODE_ENV=test would bundle React's development build.
      env: { ...process.env, NODE_ENV: 'production' },
    },
  )
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status ?? r.signal})`)
  writeFileSync(stamp, hash)
  return true
}

if (process.argv[1] === fileURLToPath(import.meta.url)) buildUiIfStale()
