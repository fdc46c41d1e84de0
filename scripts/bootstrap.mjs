#!/usr/bin/env node
// Installs what `npm start` and `npm test` need and is missing: npm dependencies (npm ci) and
// nats-server (Debian package). Plain JavaScript with no dependencies: it runs before any exist.
import { spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const say = (msg) => console.error(`[bootstrap] ${msg}`)

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) {
    say(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`)
    process.exit(1)
  }
}

function onPath(cmd) {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']
  return dirs.some((dir) => dir && existsSync(join(dir, cmd)))
}

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 19)) {
  say(`Node ${process.versions.node} is too old: Peregrine needs Node 20.19 or newer.`)
  process.exit(1)
}

const lock = join(root, 'package-lock.json')
const installed = join(root, 'node_modules', '.package-lock.json')
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync(lock).mtimeMs) {
  say('installing npm dependencies (npm ci)')
  const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, encoding: 'utf8' })
  if (ci.status !== 0) {
    // npm 11 refuses a lockfile that lacks chdb's native packages for other platforms, which a
    // registry may not serve; `npm install` installs the same locked versions without them.
    const reason =
      (ci.stderr ?? '').split('\n').find((l) => l.includes('Missing:') || l.includes('error')) ?? ''
    say(
      `npm ci refused (${reason.replace(/^npm error\s*/, '').trim()}); installing the locked versions with npm install`,
    )
    run('npm', ['install', '--no-audit', '--no-fund'])
  } else {
    process.stderr.write(ci.stderr ?? '')
  }
}

if (!onPath('nats-server')) {
  const root_ = process.getuid?.() === 0
  if (!root_ || !onPath('apt-get')) {
    say('nats-server is not installed. Install the Debian package (apt-get install nats-server) or put')
    say('a nats-server binary on PATH, then run this command again.')
    process.exit(1)
  }
  say('installing nats-server (Debian package)')
  run('apt-get', ['update', '-qq'])
  run('apt-get', ['install', '-y', '-qq', 'nats-server'])
}

// The browser tests drive Debian's Chromium (playwright-core never downloads a browser of its own).
if (process.argv.includes('--test') && !existsSync('/usr/bin/chromium')) {
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    say('chromium is not installed; the browser tests need it: apt-get install chromium')
    process.exit(1)
  }
  say('installing chromium (Debian package) for the browser tests')
  run('apt-get', ['update', '-qq'])
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'])
}

// `npm start` serves the built UI; it is built here when missing or older than its sources.
const { buildUiIfStale } = await import('./ui-build.mjs')
buildUiIfStale(say)
