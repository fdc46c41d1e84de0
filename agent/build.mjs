// Bundles the agent's entry with the parts of @peregrine/common it imports into one ES module,
// agent/dist/peregrine-agent.mjs, so hosts run it with plain node: no TypeScript transpiler is
// loaded at run time. Third-party packages stay external (resolved from node_modules), as
// bundling them gains little memory and pino and nats load parts of themselves dynamically.
// esbuild is the transpiler tsx already uses, so building adds no dependency.
import { readFileSync } from 'node:fs'
import { build } from 'esbuild'

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))

await build({
  entryPoints: [new URL('src/main.ts', import.meta.url).pathname],
  outfile: new URL('dist/peregrine-agent.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: Object.keys(root.dependencies),
  sourcemap: true,
  logLevel: 'warning',
})
